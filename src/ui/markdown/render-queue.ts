/**
 * Expensive renders one at a time, each in its own task, so that a page of many heavy notes
 * stays responsive: the browser can paint and handle input between two notes. Jobs run in the
 * order queued.
 */
const jobs: (() => void)[] = [];
let scheduled = false;

function runNext(): void {
  scheduled = false;
  const job = jobs.shift();
  if (!job) return;
  if (jobs.length) schedule();
  job();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(runNext, 0);
}

/** Runs `job` in a later task of its own; resolves when it has run. */
export function inOwnTask<T>(job: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    jobs.push(() => {
      try {
        resolve(job());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    schedule();
  });
}

/** Resolves once every queued render has run (at once when none is queued). */
export async function renderQueueIdle(): Promise<void> {
  while (jobs.length || scheduled) await inOwnTask(() => undefined);
}
