/** The middle value (the upper one of an even count): what every benchmark here reports of its rounds. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}
