/**
 * The built site autosaves what it opens into IndexedDB 'flowfield-autosave', and all test files
 * share one origin: a test that leaves its notebook there makes the next opening of the site
 * restore it (an image notebook left by one test hid the 2-D Data cell from the next). Each
 * e2e test of the built site forgets the autosave when it ends.
 */
export function forgetAutosave(): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase('flowfield-autosave');
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}
