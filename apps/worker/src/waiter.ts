/** A sleep that can be cut short: `wait(ms)` resolves after ms or at the next `wake()`, whichever comes first. */
export class Waiter {
  private resolve: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private woken = false;

  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.fire(), Math.max(0, ms));
    });
  }

  /** Ends the current wait; if none is in progress, the next wait returns at once. */
  wake(): void {
    if (this.resolve) this.fire();
    else this.woken = true;
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const r = this.resolve;
    this.resolve = null;
    this.woken = false;
    r?.();
  }
}
