/**
 * Lendbook widgets, v1: `<script type="module" src="https://<lendbook>/widgets/v1.js"></script>`.
 *
 * Defines <lendbook-listing>, <lendbook-merchant> and <lendbook-order-offer> (docs/widgets.md). The only
 * effect on the page is defining these elements (and the shared <lb-*> components they are built from),
 * each once: loading the module twice changes nothing. Data and sockets go to the origin this module was
 * loaded from, with the element's `data-key` (a publishable key: no secret ever reaches the browser).
 */
import { define } from './core.js';
import { LendbookListing } from './listing.js';
import { LendbookMerchant } from './merchant.js';
import { LendbookOrderOffer } from './order-offer.js';

export { LendbookListing, LendbookMerchant, LendbookOrderOffer };
export { ORIGIN as lendbookOrigin, liveClientCount } from './core.js';
export type { WidgetErrorDetail, WidgetName, WidgetState } from './core.js';
export type { WidgetListing } from './listing.js';
export type { WidgetMerchant } from './merchant.js';
export type { WidgetOffer } from './order-offer.js';

define('lendbook-listing', LendbookListing);
define('lendbook-merchant', LendbookMerchant);
define('lendbook-order-offer', LendbookOrderOffer);
