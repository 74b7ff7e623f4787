// SPDX-License-Identifier: Apache-2.0
/** The V8 heap settings of a validating child (validate-config.ts). Pure. */

/**
 * V8 flags of a validating child with a heap of `heapMb`. With V8's defaults the old generation
 * starts small and is marked whole each time its live set grows by half, and the young one starts
 * at 1 MB: at 100,000 reals (~350 MB live at the parse's peak) that was 6-9 full collections and ~90
 * scavenges copying what all survives, 1.3 s of a 3.0 s validation (host, --cpu-prof). Half the
 * heap limit as the first old-space size leaves the full collections to a file that needs them; a
 * young generation of 16–64 MB lets the scavenges run less often. Measured on that file (host, 3
 * runs each): 3.0–3.3 s → 1.95–2.2 s, peak RSS 690 → 720–820 MB; a standby child waiting for `go`
 * holds ~15 MB more (72 → 87 MB). A small file never reaches either size: nothing changes for it.
 * When the configuration's size is known (a standby, started for the running model's files), the
 * young generation is sized by it instead (`youngForBytes`).
 */
export function validatorHeapFlags(heapMb: number, configBytes?: number): string[] {
  // a young generation never larger than an eighth of the heap (a heap set small by hand)
  let young = Math.max(1, Math.min(64, Math.floor(heapMb / 8)));
  if (configBytes !== undefined) young = Math.min(young, youngForBytes(configBytes));
  return [
    `--max-old-space-size=${heapMb}`,
    `--initial-old-space-size=${Math.floor(heapMb / 2)}`,
    `--min-semi-space-size=${Math.min(16, young)}`,
    `--max-semi-space-size=${young}`,
  ];
}

/**
 * The young generation a configuration of `bytes` needs, MB a semi-space: ~6 per MB of text (the
 * 10.5 MB file above: 63), at least 2. A standby child holds what it grew while it waits, and at
 * least twice the minimum: with 16–64 MB for a 1 MB file (10,000 reals) it held ~150 MB RSS
 * (bench/results/footprint-lvs.md); sized by the file, `check-config` of that file peaked at
 * ~125 MB instead of ~169 on the host, in the same 0.45–0.6 s.
 */
function youngForBytes(bytes: number): number {
  return Math.max(2, Math.ceil((bytes / 2 ** 20) * 6));
}
