/**
 * The app's messages in English and Simplified Chinese (the shared components' own messages are in
 * lib/i18n.ts), one module per language loaded on demand. Error codes are docs/errors.md's, as
 * `err.<CODE>`.
 */
import { addMessages, setLocale, type Locale } from './lib/i18n.js';

const loaded = new Set<Locale>();

export async function loadMessages(l: Locale): Promise<void> {
  if (loaded.has(l)) return;
  const messages = l === 'zh' ? (await import('./messages/zh.js')).zh : (await import('./messages/en.js')).en;
  addMessages(l, messages);
  loaded.add(l);
}

/** Switches the language once its messages are there. */
export async function switchLocale(l: Locale): Promise<void> {
  await loadMessages(l);
  setLocale(l);
}
