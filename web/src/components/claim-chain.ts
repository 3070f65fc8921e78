import { html, type TemplateResult } from 'lit';
import { t } from '../lib/i18n.js';
import type { ChainLink } from '../lib/types.js';

/**
 * A claim's chain, left to right: the core enterprise that owes it (tier 0), then each holder it passed
 * through, the last being who holds it now.
 */
export function chainOf(chain: readonly ChainLink[]): TemplateResult {
  return html`<ol class="claim-chain" data-testid="claim-chain" aria-label=${t('claims.chain')}>
    ${chain.map(
      (link, i) => html`<li data-tier=${link.tier} class=${i === chain.length - 1 ? 'holder' : ''}>
        <small>${link.tier === 0 ? t('claims.issuer') : t('claims.tier', { n: link.tier })}</small><span>${link.merchantName}</span>
      </li>`,
    )}
  </ol>`;
}
