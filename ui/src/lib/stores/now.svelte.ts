/** A clock in Unix seconds that ticks once a second, for "3 min ago" texts. */
class Clock {
  now = $state(Date.now() / 1000);
  private timer: ReturnType<typeof setInterval> | null = null;

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      this.now = Date.now() / 1000;
    }, 1000);
  }
}

export const clock = new Clock();
