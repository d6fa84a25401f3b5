/** Releases resources last-in-first-out; a failing release is reported and the rest still run. */
export class ReleaseStack {
  private readonly releases: Array<{ name: string; release: () => Promise<void> | void }> = [];

  push(name: string, release: () => Promise<void> | void): void {
    this.releases.push({ name, release });
  }

  async releaseAll(onError: (name: string, error: unknown) => void): Promise<void> {
    while (this.releases.length > 0) {
      const { name, release } = this.releases.pop()!;
      try {
        await release();
      } catch (error) {
        onError(name, error);
      }
    }
  }
}
