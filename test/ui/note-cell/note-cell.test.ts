import { expect, fixture, html } from '@open-wc/testing';
import { createCell, type NoteCell } from '../../../src/notebook';
import '../../../src/ui/note-cell/note-cell';
import type { FfNoteCell } from '../../../src/ui/note-cell/note-cell';
import { $, patches, setValue } from '../support/helpers';

describe('<ff-note-cell>', () => {
  it('edits the Markdown source and renders it', async () => {
    const cell = { ...(createCell('note', 'n') as NoteCell), markdown: '# Hello' };
    const el = await fixture<FfNoteCell>(html`<ff-note-cell .cell=${cell}></ff-note-cell>`);
    expect($(el, 'ff-markdown').shadowRoot!.querySelector('h3')!.textContent).to.equal('Hello');
    const seen = patches(el);
    $(el, 'button').click();
    await el.updateComplete;
    setValue($(el, 'textarea'), '**bold**');
    expect(seen.at(-1)).to.deep.equal({ markdown: '**bold**' });
    await expect(el).to.be.accessible();
  });
});
