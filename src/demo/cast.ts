import type { MerchantProfile } from './synthetic.js';

/** The demo's people: who logs in, and the merchants of the demo mall. */
export const DEMO_PASSWORD = 'lendbook-demo';
/** The logins printed at start: they belong to the person trying the demo, never to the simulation. */
export const DEMO_LOGINS = {
  lender: 'lender@lendbook.demo',
  borrower: 'borrower@lendbook.demo',
  operator: 'ops@lendbook.demo',
} as const;

/**
 * The simulation's own cast, told apart by their e-mail domains: simulated lenders bid and simulated
 * borrowers list, and no one else is ever driven by the simulation (not the printed logins, not an
 * account a person registers later).
 */
export const SIMULATED_LENDER_DOMAIN = 'lenders.lendbook.demo';
export const SIMULATED_BORROWER_DOMAIN = 'merchants.lendbook.demo';

export function simulatedLenderEmail(i: number): string {
  return `lender${i}@${SIMULATED_LENDER_DOMAIN}`;
}

export function simulatedBorrowerEmail(ref: string): string {
  return `${ref}@${SIMULATED_BORROWER_DOMAIN}`;
}

export interface DemoMerchant {
  ref: string;
  name: string;
  category: string;
  legalForm: 'legal_person' | 'natural_person';
  profile: Omit<MerchantProfile, 'asOf'>;
  /** Takes part in the loan history (needs enough months of sales ten months ago). */
  history: boolean;
  loanYuan: number;
  listingTitle: string;
  purpose: string;
}

const SHOPS: [string, string, string][] = [
  ['杭州云裳服饰', 'apparel', 'Autumn collection stock'],
  ['义乌星光小商品', 'small goods', 'Holiday inventory'],
  ['深圳极客数码', 'electronics', 'Phone accessories for 双11'],
  ['成都麻辣食坊', 'food', 'Hot-pot base for winter'],
  ['苏州丝绸坊', 'textiles', 'Silk scarves for the gift season'],
  ['广州美妆小铺', 'cosmetics', 'Skincare restock'],
  ['青岛海鲜直供', 'seafood', 'Cold-chain capacity'],
  ['北京茶语', 'tea', 'Spring harvest tea'],
  ['厦门户外装备', 'outdoor', 'Tents before the holidays'],
  ['武汉书香文具', 'stationery', 'Back-to-school stock'],
  ['东莞家居生活', 'home', 'Kitchenware restock'],
  ['宁波母婴之家', 'baby', 'Strollers and car seats'],
  ['长沙潮鞋馆', 'shoes', 'Sneaker drop'],
  ['昆明花卉园', 'flowers', 'Valentine flowers'],
  ['西安古风饰品', 'accessories', 'Hanfu accessories'],
  ['温州皮具', 'leather', 'Leather bags'],
  ['佛山陶瓷', 'ceramics', 'Tableware for restaurants'],
  ['天津宠物乐园', 'pets', 'Pet food bulk buy'],
  ['南京电竞外设', 'gaming', 'Keyboards and mice'],
  ['合肥智能家电', 'appliances', 'Air purifiers'],
  ['重庆火锅食材', 'food', 'Frozen ingredients'],
  ['福州茶具', 'tea', 'Tea sets'],
  ['济南运动健身', 'sports', 'Home fitness gear'],
  ['大连渔具', 'fishing', 'Fishing season stock'],
  ['沈阳冬装', 'apparel', 'Down jackets'],
  ['郑州农特产', 'produce', 'Dried fruit and nuts'],
  ['南宁水果铺', 'produce', 'Mango season'],
  ['哈尔滨冰雪礼品', 'gifts', 'Ice festival souvenirs'],
  ['珠海手工皂', 'cosmetics', 'Handmade soap batch'],
  ['兰州牛肉面料包', 'food', 'Noodle kits'],
];

type Tier = 'excellent' | 'good' | 'fair' | 'weak' | 'poor' | 'bad';
const TIERS: Tier[] = ['excellent', 'good', 'fair', 'weak', 'poor', 'good', 'excellent', 'bad', 'fair', 'good'];
/** Sales in yuan a month, and how the shop's orders end: the tiers span the grades. */
const QUALITY: Record<Tier, { salesYuan: number; refund: number; dispute: number; noise: number; growth: number }> = {
  excellent: { salesYuan: 400_000, refund: 0.01, dispute: 0.001, noise: 0.06, growth: 0.02 },
  good: { salesYuan: 250_000, refund: 0.03, dispute: 0.003, noise: 0.12, growth: 0.01 },
  fair: { salesYuan: 90_000, refund: 0.07, dispute: 0.008, noise: 0.3, growth: 0 },
  weak: { salesYuan: 30_000, refund: 0.12, dispute: 0.015, noise: 0.7, growth: -0.04 },
  poor: { salesYuan: 15_000, refund: 0.18, dispute: 0.03, noise: 0.9, growth: -0.06 },
  bad: { salesYuan: 8_000, refund: 0.28, dispute: 0.06, noise: 1.0, growth: -0.1 },
};

/**
 * Thirty merchants with histories from thriving to troubled: steady growers, seasonal sellers, weak and
 * poor shops, a few bad apples (many refunds and disputes, falling sales) and two too young to borrow.
 */
export const DEMO_MERCHANTS: DemoMerchant[] = SHOPS.map(([name, category, title], i) => {
  const tier = TIERS[i % TIERS.length]!;
  const q = QUALITY[tier];
  const young = i === 28 || i === 29;
  const months = young ? 4 : i === 0 ? 24 : 12 + (i % 13);
  return {
    ref: `shop-${String(i + 1).padStart(2, '0')}`,
    name,
    category,
    legalForm: i % 4 === 3 ? 'natural_person' : 'legal_person',
    profile: {
      seed: 1000 + i,
      months,
      baseMonthlySalesMinor: Math.round(q.salesYuan * (0.7 + ((i * 37) % 60) / 100)) * 100,
      growthPerMonth: q.growth,
      seasonal: i % 3 !== 0,
      averageOrderMinor: Math.max(3_000, Math.round(q.salesYuan / 60)) * 100,
      refundProbability: q.refund,
      disputeProbability: q.dispute,
      noise: q.noise,
    },
    history: !young && months >= 16 && (tier === 'excellent' || tier === 'good' || tier === 'fair'),
    loanYuan: 30_000 + ((i * 17_000) % 150_000),
    listingTitle: title,
    purpose: `${title} — ${name}`,
  };
});

/**
 * A valid mainland resident id number (check character computed): demo lenders in one district, the
 * merchants' legal representatives in another, so that nobody is on both sides of a listing.
 */
export function residentIdFor(i: number, side: 'lender' | 'borrower' = 'lender'): string {
  const first17 = `${side === 'lender' ? '330106' : '440305'}1985${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(first17[k]) * weights[k]!;
  return first17 + '10X98765432'[sum % 11]!;
}
