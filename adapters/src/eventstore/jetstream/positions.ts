/**
 * Global positions. The port counts positions per EVENT; JetStream counts sequences per MESSAGE, and
 * one message carries all events of one append. An event's position is derived from its message:
 *
 *   position = streamSequence * SLOTS_PER_COMMIT + index of the event in its message (0-based)
 *
 * so commit 17's third event is position 170_002. Positions are strictly increasing in log order, as
 * the port requires, but not contiguous (the port does not promise density; the contract suite
 * asserts only order). Dense positions would need a global counter, i.e. every append serialized on
 * the stream's last sequence (`Nats-Expected-Last-Sequence`): all writers of the cluster would contend
 * on one head, which is exactly what per-subject expectations avoid.
 *
 * The derivation needs no state and no extra round trip: readAll and subscribe turn a position back
 * into a stream sequence (`sequenceOf`) and skip the first message's earlier events.
 *
 * 10,000 slots bound an append to 10,000 events (a 1 MiB message rarely holds more than a few thousand
 * envelopes anyway) and leave 2^53 / 10^4 ≈ 9·10^11 commits before positions leave the safe integers.
 */
export const SLOTS_PER_COMMIT = 10_000

export const positionOf = (sequence: number, index: number): number => sequence * SLOTS_PER_COMMIT + index

/** The stream sequence holding `position`; at least 1, since sequences start there. */
export const sequenceOf = (position: number): number => Math.max(1, Math.floor(position / SLOTS_PER_COMMIT))
