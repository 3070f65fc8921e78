/**
 * Notifications (docs/notifications.md): which `me` events tell a person something worth keeping, their
 * kinds and default preferences, and their text in Simplified Chinese and English (e-mails and the
 * notification centre say the same). Pure.
 */

export const NOTIFICATION_KINDS = [
  'outbid',
  'bid_filled',
  'listing_withdrawn',
  'listing_failed',
  'loan_disbursed',
  'installment_due',
  'payment_received',
  'loan_repaid',
  'loan_defaulted',
  'account_frozen',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface KindPreference {
  inApp: boolean;
  email: boolean;
}

/** Defaults: everything in the app; by e-mail what changes a person's money or duties, not every outbid. */
export const DEFAULT_PREFERENCES: Record<NotificationKind, KindPreference> = {
  outbid: { inApp: true, email: false },
  bid_filled: { inApp: true, email: true },
  listing_withdrawn: { inApp: true, email: true },
  listing_failed: { inApp: true, email: true },
  loan_disbursed: { inApp: true, email: true },
  installment_due: { inApp: true, email: true },
  payment_received: { inApp: true, email: false },
  loan_repaid: { inApp: true, email: true },
  loan_defaulted: { inApp: true, email: true },
  account_frozen: { inApp: true, email: true },
};

export function isNotificationKind(k: string): k is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(k);
}

/** The kind of a `me` event, or null when it is not one a person is notified of (wallet.changed, …). */
export function kindOfEvent(type: string, data: Record<string, unknown>): NotificationKind | null {
  switch (type) {
    case 'bid.outbid':
      return 'outbid';
    case 'bid.filled':
      return 'bid_filled';
    case 'bid.released':
      return data.reason === 'withdrawn' ? 'listing_withdrawn' : data.reason === 'listing.failed' ? 'listing_failed' : null;
    case 'listing.failed':
      return 'listing_failed';
    case 'loan.disbursed':
      return 'loan_disbursed';
    case 'installment.due':
      return 'installment_due';
    case 'payment.received':
      return 'payment_received';
    case 'loan.repaid':
      return 'loan_repaid';
    case 'loan.defaulted':
      return 'loan_defaulted';
    case 'account.frozen':
      return 'account_frozen';
    default:
      return null;
  }
}

/** A user's preferences: the defaults with the user's choices on top. */
export function preferencesOf(stored: Record<string, Partial<KindPreference>> | null | undefined): Record<NotificationKind, KindPreference> {
  const out = structuredClone(DEFAULT_PREFERENCES);
  for (const k of NOTIFICATION_KINDS) {
    const s = stored?.[k];
    if (s?.inApp !== undefined) out[k].inApp = s.inApp;
    if (s?.email !== undefined) out[k].email = s.email;
  }
  return out;
}

export type Locale = 'zh' | 'en';

/** ¥1,234.56 from minor units, integers only. */
function yuan(minor: unknown): string {
  const n = typeof minor === 'number' && Number.isSafeInteger(minor) ? minor : 0;
  const abs = Math.abs(n);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}¥${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** 12.50% from basis points. */
function pct(bps: unknown): string {
  const n = typeof bps === 'number' && Number.isSafeInteger(bps) ? bps : 0;
  return `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}%`;
}

type Texts = Record<NotificationKind, (d: Record<string, unknown>, title: string) => { title: string; body: string }>;

const EN: Texts = {
  outbid: (d, t) => ({ title: 'You were outbid', body: `Your ${yuan(d.amountMinor)} at ${pct(d.rateBps)} on “${t}” was outbid; its hold is released.` }),
  bid_filled: (d, t) => {
    const partial = typeof d.releasedMinor === 'number' && d.releasedMinor > 0;
    return partial
      ? { title: 'Your bid was partly filled', body: `${yuan(d.fillMinor)} lent at ${pct(d.rateBps)} on “${t}”; the other ${yuan(d.releasedMinor)} is back in your wallet.` }
      : { title: 'Your bid was filled', body: `${yuan(d.fillMinor)} lent at ${pct(d.rateBps)} on “${t}”.` };
  },
  listing_withdrawn: (d, t) => ({ title: 'A listing you bid on was withdrawn', body: `The borrower withdrew “${t}”; your ${yuan(d.releasedMinor)} is released.` }),
  listing_failed: (d, t) =>
    d.requiredMinor !== undefined
      ? { title: 'Your listing did not fund', body: `“${t}” reached ${yuan(d.coverageMinor)} of the ${yuan(d.requiredMinor)} needed; every bid was released.` }
      : { title: 'A listing you bid on did not fund', body: `“${t}” did not reach its minimum; your ${yuan(d.releasedMinor)} is released.` },
  loan_disbursed: (d, t) => ({ title: 'Your loan is funded', body: `${yuan(d.disbursementMinor)} reached your wallet for “${t}” at ${pct(d.rateBps)}.` }),
  installment_due: (d, t) => ({ title: 'An installment is coming due', body: `${yuan(d.amountMinor)} is due on ${String(d.dueDate ?? '')} for “${t}”.` }),
  payment_received: (d, t) => ({ title: 'Payment received', body: `${yuan(d.totalMinor)} from “${t}”: principal ${yuan(d.principalMinor)}, interest ${yuan(Number(d.interestMinor ?? 0) + Number(d.penaltyMinor ?? 0) + Number(d.prepaymentFeeMinor ?? 0))}.` }),
  loan_repaid: (_d, t) => ({ title: 'Loan repaid', body: `“${t}” is repaid in full.` }),
  loan_defaulted: (d, t) => ({ title: 'A loan defaulted', body: `“${t}” is in default since ${String(d.defaultedOn ?? '')}; what is recovered is shared pro rata.` }),
  account_frozen: (d) => ({ title: d.frozen === false ? 'Your account is active again' : 'Your account is frozen', body: d.frozen === false ? 'You may bid, list and withdraw again.' : `An operator froze your account: ${String(d.reason ?? '')}. Repayments still go through.` }),
};

const ZH: Texts = {
  outbid: (d, t) => ({ title: '您的出价被超越', body: `您在“${t}”上以 ${pct(d.rateBps)} 出借 ${yuan(d.amountMinor)} 的出价被超越，冻结资金已释放。` }),
  bid_filled: (d, t) => {
    const partial = typeof d.releasedMinor === 'number' && d.releasedMinor > 0;
    return partial
      ? { title: '您的出价部分成交', body: `在“${t}”上以 ${pct(d.rateBps)} 出借 ${yuan(d.fillMinor)}；其余 ${yuan(d.releasedMinor)} 已退回钱包。` }
      : { title: '您的出价已成交', body: `在“${t}”上以 ${pct(d.rateBps)} 出借 ${yuan(d.fillMinor)}。` };
  },
  listing_withdrawn: (d, t) => ({ title: '您出价的标的已撤回', body: `借款人撤回了“${t}”，您的 ${yuan(d.releasedMinor)} 已释放。` }),
  listing_failed: (d, t) =>
    d.requiredMinor !== undefined
      ? { title: '您的借款未满标', body: `“${t}”认购 ${yuan(d.coverageMinor)}，未达到所需的 ${yuan(d.requiredMinor)}；全部出价已释放。` }
      : { title: '您出价的标的流标', body: `“${t}”未达到最低认购额；您的 ${yuan(d.releasedMinor)} 已释放。` },
  loan_disbursed: (d, t) => ({ title: '您的借款已放款', body: `“${t}”以 ${pct(d.rateBps)} 放款，${yuan(d.disbursementMinor)} 已到您的钱包。` }),
  installment_due: (d, t) => ({ title: '还款即将到期', body: `“${t}”有 ${yuan(d.amountMinor)} 将于 ${String(d.dueDate ?? '')} 到期。` }),
  payment_received: (d, t) => ({ title: '收到回款', body: `来自“${t}”的 ${yuan(d.totalMinor)}：本金 ${yuan(d.principalMinor)}，利息 ${yuan(Number(d.interestMinor ?? 0) + Number(d.penaltyMinor ?? 0) + Number(d.prepaymentFeeMinor ?? 0))}。` }),
  loan_repaid: (_d, t) => ({ title: '借款已还清', body: `“${t}”已全部还清。` }),
  loan_defaulted: (d, t) => ({ title: '借款违约', body: `“${t}”自 ${String(d.defaultedOn ?? '')} 起违约；追回款项按比例分配。` }),
  account_frozen: (d) => ({ title: d.frozen === false ? '您的账户已解冻' : '您的账户已被冻结', body: d.frozen === false ? '您可以重新出价、发布借款和提现。' : `运营人员冻结了您的账户：${String(d.reason ?? '')}。还款不受影响。` }),
};

/** A notification's title and body in `locale`; `title` of the listing it concerns comes with the data. */
export function renderNotification(kind: NotificationKind, data: Record<string, unknown>, locale: Locale): { title: string; body: string } {
  const listingTitle = typeof data.title === 'string' && data.title ? data.title : locale === 'zh' ? '借款标的' : 'a listing';
  return (locale === 'zh' ? ZH : EN)[kind](data, listingTitle);
}

/** Where in the web app a notification leads (hash route), or null. */
export function hrefOf(data: Record<string, unknown>): string | null {
  if (typeof data.loanId === 'string') return `#/loan/${data.loanId}`;
  if (typeof data.listingId === 'string') return `#/listing/${data.listingId}`;
  return null;
}
