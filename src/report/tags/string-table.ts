/** A copy of a profile's strings that new ones are added to, each once. */
export class StringTable {
  readonly strings: string[];
  private index?: Map<string, number>;

  constructor(strings: readonly string[]) {
    this.strings = [...strings];
  }

  intern(text: string): number {
    this.index ??= new Map(this.strings.map((s, i) => [s, i]));
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.strings.push(text) - 1;
      this.index.set(text, i);
    }
    return i;
  }
}
