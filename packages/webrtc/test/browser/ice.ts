/** The remote address of the ICE candidate pair `pc` selected (null before one is). */
export async function selectedRemoteAddress(pc: RTCPeerConnection): Promise<string | null> {
  const stats = await pc.getStats()
  for (const report of stats.values()) {
    if (report.type !== 'transport' || !report.selectedCandidatePairId) continue
    const pair = stats.get(report.selectedCandidatePairId)
    const remote = pair && stats.get(pair.remoteCandidateId)
    return remote?.address ?? remote?.ip ?? null
  }
  return null
}
