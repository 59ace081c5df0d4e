import { expect } from '@esm-bundle/chai';
import { startWorker, workerScriptUrl } from '../../src/worker/client';
import { rejection, startLabWorker } from './helpers';

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms),
    ),
  ]);

describe('the page client: calls to a worker that failed to start reject readably', () => {
  for (const [what, url] of [
    ['a worker script that 404s', new URL('./fixtures/no-such-worker.js', import.meta.url)],
    ['a worker that throws at load', new URL('./fixtures/throws-at-load.ts', import.meta.url)],
  ] as const) {
    it(`${what}: calls in flight and later calls reject with a message`, async () => {
      const handle = startWorker(url);
      const errors: string[] = [];
      handle.onError((message) => errors.push(message));
      try {
        // In flight before the failure is known, and one after it.
        const inFlight = rejection(handle.api.probe());
        const first = await within(inFlight, 10_000, 'the call in flight');
        expect(first.message).to.match(/Flowfield worker (failed to start|reported an error)/);
        const later = await within(rejection(handle.api.datasetNames()), 2000, 'a later call');
        expect(later.message).to.equal(first.message);
        expect(errors).to.deep.equal([first.message]);
      } finally {
        handle.terminate();
      }
    });
  }

  it('a healthy worker answers, and an uncaught error after start-up rejects nothing', async () => {
    const handle = startLabWorker();
    const errors: string[] = [];
    handle.onError((message) => errors.push(message));
    try {
      expect(await handle.api.datasetNames()).to.include('moons');
      await handle.api.debugThrowUncaught('late trouble');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(errors.join(' ')).to.match(/late trouble/);
      expect(await handle.api.datasetNames()).to.include('moons');
    } finally {
      handle.terminate();
    }
  });
});

describe('the worker entry for a script on another origin', () => {
  it('same origin: the URL itself; another origin: a blob module that imports the absolute URL', async () => {
    const here = new URL('./fixtures/no-such-worker.js', import.meta.url);
    expect(workerScriptUrl(here)).to.equal(here.href);
    const cdn = new URL('https://cdn.example/flowfield/worker.js?v="1"');
    const entry = workerScriptUrl(cdn);
    expect(entry.startsWith(`blob:${location.origin}/`)).to.equal(true);
    const source = await (await fetch(entry)).text();
    expect(source).to.equal(`import ${JSON.stringify(cdn.href)};\n`);
    URL.revokeObjectURL(entry);
  });
});
