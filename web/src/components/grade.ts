import { LitElement, css, html } from 'lit';
import { LocaleController, t } from '../lib/i18n.js';

/**
 * `<lb-grade grade="A">`: a credit grade as a small coloured badge (AA best … HR high risk).
 * Theming: --lb-grade-aa … --lb-grade-hr, ::part(badge).
 */
export class LbGrade extends LitElement {
  static override properties = { grade: { type: String, reflect: true } };
  declare grade: string;
  constructor() {
    super();
    this.grade = '';
    new LocaleController(this);
  }
  static override styles = css`
    :host { display: inline-block; vertical-align: middle; }
    span {
      display: inline-block; min-width: 2.1em; padding: 0.1em 0.45em; border-radius: 0.35em;
      font: 600 0.78em/1.4 var(--lb-font, system-ui, sans-serif); text-align: center; letter-spacing: 0.02em;
      color: #fff; background: var(--lb-grade-c, #a16207);
    }
    :host([grade='AA']) span { background: var(--lb-grade-aa, #047857); }
    :host([grade='A']) span { background: var(--lb-grade-a, #15803d); }
    :host([grade='B']) span { background: var(--lb-grade-b, #4d7c0f); }
    :host([grade='C']) span { background: var(--lb-grade-c, #a16207); }
    :host([grade='D']) span { background: var(--lb-grade-d, #c2410c); }
    :host([grade='E']) span { background: var(--lb-grade-e, #b91c1c); }
    :host([grade='HR']) span { background: var(--lb-grade-hr, #7f1d1d); }
  `;
  override render() {
    return html`<span part="badge" title=${t('grade.title', { grade: this.grade })}>${this.grade}</span>`;
  }
}
if (!customElements.get('lb-grade')) customElements.define('lb-grade', LbGrade);
