/** Keeps the last lines a child process printed, to explain a failed start-up. */
export class LogTail {
  private readonly lines: string[] = [];

  constructor(private readonly limit = 40) {}

  add(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > this.limit) this.lines.shift();
    }
  }

  text(): string {
    return this.lines.join('\n');
  }
}
