// The app entry: starts the worker, hands it to the playground shell as its LabClient (with
// weights import/export for links, files and the gallery), then opens the notebook: a #nb= link,
// else the last autosave, else the starting notebook.
import './ui/app/app';
import { FfApp } from './ui/app/app';
import { openOverTrained } from './ui/app/guarded-actions';
import { shareableWorkerClient } from './ui/app/weights-client';
import { startWorker } from './worker/client';

const worker = startWorker(new URL('./worker.js', import.meta.url));
const app = new FfApp();
app.client = shareableWorkerClient(worker.api);
document.querySelector('main')?.replaceChildren(app);
/** Once a link is open (and autosaved), the address drops it: a reload keeps later edits. */
function forgetLink(): void {
  if (location.hash.startsWith('#nb=')) {
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
}
void app.session.boot({ hash: location.hash }).then(forgetLink);
// A link pasted into the address bar of an open app opens too (the old notebook is autosaved).
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#nb=')) {
    const fragment = location.hash.slice(1);
    openOverTrained(app, 'the notebook of the link', () =>
      app.session.openLink(fragment).then(forgetLink),
    );
  }
});
