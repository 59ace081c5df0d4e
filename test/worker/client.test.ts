import { expect } from '@esm-bundle/chai';
import { firstPaint, heldUntil, startWorker, workerScriptUrl } from '../../src/worker/client';
import { NO_HOLD, rejection, startLabWorker } from './helpers';

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
      const handle = startWorker(url, NO_HOLD);
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

describe('the page client holds its messages to the worker until the first paint', () => {
  it('posts nothing before the gate opens, then everything in order with its transfers', async () => {
    const posted: [unknown, Transferable[]][] = [];
    const target = Object.assign(new EventTarget(), {
      postMessage: (message: unknown, transfer: Transferable[]) => posted.push([message, transfer]),
    }) as unknown as Worker;
    let open!: () => void;
    const endpoint = heldUntil(target, new Promise<void>((resolve) => (open = resolve)));
    const buffer = new ArrayBuffer(8);
    endpoint.postMessage('first');
    endpoint.postMessage('second', [buffer]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(posted).to.deep.equal([]);
    open();
    await Promise.resolve();
    endpoint.postMessage('third');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(posted).to.deep.equal([
      ['first', []],
      ['second', [buffer]],
      ['third', []],
    ]);
  });

  it('firstPaint waits for the page to paint, and for at most its time limit', async () => {
    // This test page painted nothing yet: the limit ends the wait.
    const blank = performance.getEntriesByType('paint').length === 0;
    const t0 = performance.now();
    await firstPaint(300);
    if (blank) expect(performance.now() - t0).to.be.within(250, 3000);
    // Something to paint: the first paint ends the wait, well before a long limit.
    const text = document.body.appendChild(document.createElement('p'));
    text.textContent = 'painted';
    const t1 = performance.now();
    await firstPaint(20_000);
    expect(performance.now() - t1).to.be.lessThan(5000);
    expect(performance.getEntriesByType('paint').length).to.be.greaterThan(0);
    text.remove();
  });
});
