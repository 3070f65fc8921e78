/**
 * One shared 1 s tick for every countdown on the page (however many widgets or rows show one).
 */
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

export function onTick(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    // Align to the second boundary so every countdown on the page changes together.
    timer = setInterval(() => {
      for (const l of [...listeners]) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
