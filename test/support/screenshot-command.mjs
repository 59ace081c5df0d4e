// A test-runner command that photographs a rectangle of the test page as the compositor shows
// it (PNG, base64). Canvases a worker draws (transferred OffscreenCanvas) can only be checked
// this way: readPixels() draws the frame again offscreen and would not see a frame that never
// reached the screen. Used through test/support/screenshot.ts.
export function screenshotCommand() {
  return {
    name: 'flowfield-screenshot',
    async executeCommand({ command, payload, session }) {
      if (command !== 'screenshot-rect') return undefined;
      if (session.browser.type !== 'puppeteer') {
        throw new Error(`screenshot-rect needs a puppeteer browser, got ${session.browser.type}.`);
      }
      const page = session.browser.getPage(session.id);
      return page.screenshot({ clip: payload, encoding: 'base64' });
    },
  };
}
