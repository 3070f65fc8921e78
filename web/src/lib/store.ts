/**
 * A minimal observable value, and a Lit controller that re-renders its host when the value changes.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class Store<T> {
  private readonly listeners = new Set<(value: T) => void>();
  constructor(private current: T) {}
  get value(): T {
    return this.current;
  }
  set(next: T): void {
    this.current = next;
    for (const l of [...this.listeners]) l(next);
  }
  update(patch: Partial<T>): void {
    this.set({ ...this.current, ...patch });
  }
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class StoreController<T> implements ReactiveController {
  private off: (() => void) | undefined;
  constructor(
    private readonly host: ReactiveControllerHost,
    readonly store: Store<T>,
  ) {
    host.addController(this);
  }
  get value(): T {
    return this.store.value;
  }
  hostConnected(): void {
    this.off = this.store.subscribe(() => this.host.requestUpdate());
  }
  hostDisconnected(): void {
    this.off?.();
    this.off = undefined;
  }
}
