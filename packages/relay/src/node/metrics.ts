/**
 * The relay's counters and gauges, rendered as Prometheus text exposition (version 0.0.4).
 */

/** Counters and gauges of one relay. */
export class Metrics {
  sessions = 0
  sessionsTotal = 0
  streams = 0
  streamsTotal = 0
  bytesIn = 0
  bytesOut = 0
  relayedToTab = 0
  relayedToPeer = 0
  backpressure = 0
  readonly errors = new Map<string, number>()
  readonly requests = new Map<string, number>()

  /** Counts one error of kind `code`. */
  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1)
  }

  /** Counts one DHT request of kind `kind`. */
  request(kind: string): void {
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1)
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    const lines: string[] = []
    const metric = (name: string, type: string, help: string, values: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [labels, v] of values) lines.push(`${name}${labels} ${v}`)
    }
    metric('orchard_relay_sessions', 'gauge', 'Open tab sessions.', [['', this.sessions]])
    metric('orchard_relay_sessions_total', 'counter', 'Sessions accepted.', [['', this.sessionsTotal]])
    metric('orchard_relay_streams', 'gauge', 'Open relayed streams.', [['', this.streams]])
    metric('orchard_relay_streams_total', 'counter', 'Relayed streams opened.', [['', this.streamsTotal]])
    metric('orchard_relay_bytes_total', 'counter', 'WebSocket bytes by direction.', [
      ['{direction="in"}', this.bytesIn],
      ['{direction="out"}', this.bytesOut]
    ])
    metric('orchard_relay_stream_bytes_total', 'counter', 'Relayed stream bytes by direction.', [
      ['{direction="to_tab"}', this.relayedToTab],
      ['{direction="to_peer"}', this.relayedToPeer]
    ])
    metric(
      'orchard_relay_backpressure_total',
      'counter',
      'Times a session stopped reading its tab because a DHT stream was full.',
      [['', this.backpressure]]
    )
    metric(
      'orchard_relay_requests_total',
      'counter',
      'DHT requests by kind.',
      [...this.requests].map(([k, v]) => [`{kind="${k}"}`, v])
    )
    metric(
      'orchard_relay_errors_total',
      'counter',
      'Errors by kind.',
      [...this.errors].map(([k, v]) => [`{kind="${k}"}`, v])
    )
    return `${lines.join('\n')}\n`
  }
}
