/**
 * Toasts: short notices in a corner, announced to screen readers, closed by themselves.
 */
import { Store } from './store.js';

export type Tone = 'info' | 'good' | 'bad' | 'warn';

export interface Toast {
  id: number;
  tone: Tone;
  /** What happened, for tests and styling: outbid, filled, payment, error… */
  kind: string;
  title: string;
  body?: string;
  href?: string;
  linkText?: string;
}

export const toasts = new Store<Toast[]>([]);
let nextId = 1;
const MAX = 5;

export function toast(t: Omit<Toast, 'id'>, ttlMs = 7000): number {
  const id = nextId++;
  toasts.set([...toasts.value, { ...t, id }].slice(-MAX));
  if (ttlMs > 0) setTimeout(() => dismiss(id), ttlMs);
  return id;
}

export function dismiss(id: number): void {
  toasts.set(toasts.value.filter((t) => t.id !== id));
}
