// Load generator for the baseline: speaks automerge-repo's websocket protocol (CBOR messages
// `join`/`peer`, then `request`/`sync` carrying Automerge sync messages) to the sync server,
// the same workload the Rust harness sends to mutua-relay:
//   node load.mjs URL throughput WRITERS POSTS MAX_SECS
//   node load.mjs URL latency DOCS WAITERS_PER_DOC POSTS PACE_MS MAX_SECS
// Prints one JSON line. Bounded in count and time; loopback only (the harness passes
// ws://127.0.0.1:PORT).
import WebSocket from "ws"
import * as A from "@automerge/automerge"
import { cbor, generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo"
import { performance } from "perf_hooks"

const [url, mode, ...args] = process.argv.slice(2)
if (!url?.startsWith("ws://127.0.0.1:")) {
  console.error("the load generator only talks to ws://127.0.0.1:PORT")
  process.exit(2)
}
const words = "I felt better after the meeting today thanks everyone for listening gracias por la reunión".split(" ")
function text(i) {
  const n = 6 + (i * 7919) % 20
  return Array.from({ length: n }, (_, k) => words[(i + k * 31) % words.length]).join(" ")
}

class Peer {
  constructor(name) {
    this.id = `${name}-${Math.random().toString(36).slice(2)}`
    this.sessions = new Map()
  }
  connect() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(url)
      this.ws.binaryType = "arraybuffer"
      this.ws.on("error", reject)
      this.ws.on("open", () => {
        this.send({ type: "join", senderId: this.id, peerMetadata: {}, supportedProtocolVersions: ["1"] })
      })
      this.ws.on("message", data => {
        const m = cbor.decode(new Uint8Array(data))
        if (m.type === "peer") {
          this.server = m.senderId
          resolve()
        } else if ((m.type === "sync" || m.type === "request") && this.sessions.has(m.documentId)) {
          this.sessions.get(m.documentId).receive(m.data)
        } else if (m.type === "doc-unavailable" || m.type === "error") {
          console.error("server said", m.type, m.message ?? "")
        }
      })
    })
  }
  send(m) {
    this.ws.send(cbor.encode(m))
  }
  close() {
    this.ws.close()
  }
}

class Session {
  constructor(peer, documentId, doc) {
    this.peer = peer
    this.documentId = documentId
    this.doc = doc ?? A.init()
    this.state = A.initSyncState()
    this.waiters = []
    this.onDoc = null
    peer.sessions.set(documentId, this)
  }
  flush(type = "sync") {
    const [state, msg] = A.generateSyncMessage(this.doc, this.state)
    this.state = state
    if (msg) {
      this.peer.send({ type, senderId: this.peer.id, targetId: this.peer.server, documentId: this.documentId, data: msg })
    }
    return !!msg
  }
  receive(data) {
    const [doc, state] = A.receiveSyncMessage(this.doc, this.state, data)
    this.doc = doc
    this.state = state
    this.flush()
    if (this.onDoc) this.onDoc(doc)
    const heads = A.getHeads(this.doc)
    const acked = heads.every(h => this.state.sharedHeads.includes(h))
    if (acked) {
      const w = this.waiters
      this.waiters = []
      w.forEach(r => r())
    }
  }
  // Resolves once the server's sync state shows it holds our heads.
  acked() {
    return new Promise(resolve => this.waiters.push(resolve))
  }
}

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))
}

function newDocId() {
  return parseAutomergeUrl(generateAutomergeUrl()).documentId
}

async function writerSession(peer) {
  const id = newDocId()
  const s = new Session(peer, id, A.from({ messages: [] }))
  const acked = s.acked()
  s.flush("sync")
  await Promise.race([acked, timeout(30000)])
  return s
}

async function post(s, i) {
  s.doc = A.change(s.doc, d => {
    d.messages.push({ i, text: text(i), at: new Date().toISOString() })
  })
  const acked = s.acked()
  s.flush("sync")
  await acked
}

function pct(sorted, p) {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]
}

async function throughput(writers, posts, maxSecs) {
  const peers = []
  for (let w = 0; w < writers; w++) {
    const p = new Peer("writer")
    await p.connect()
    peers.push(p)
  }
  const sessions = await Promise.all(peers.map(writerSession))
  const deadline = performance.now() + maxSecs * 1000
  let done = 0
  const started = performance.now()
  await Promise.all(sessions.map(async (s, w) => {
    for (let i = w; i < posts && performance.now() < deadline; i += writers) {
      await Promise.race([post(s, i), timeout(30000)])
      done++
    }
  }))
  const secs = (performance.now() - started) / 1000
  peers.forEach(p => p.close())
  return { posts: done, secs, posts_per_sec: done / secs }
}

async function latency(docs, perDoc, posts, paceMs, maxSecs) {
  const writer = new Peer("writer")
  await writer.connect()
  const sessions = []
  for (let d = 0; d < docs; d++) sessions.push(await writerSession(writer))
  const started = new Map()
  const samples = []
  const waiters = []
  let ready = 0
  for (let d = 0; d < docs; d++) {
    for (let k = 0; k < perDoc; k++) {
      const p = new Peer("waiter")
      await p.connect()
      const s = new Session(p, sessions[d].documentId)
      let seen = 0
      const loaded = new Promise(resolve => {
        s.onDoc = doc => {
          const list = doc?.messages ?? []
          if (list.length > 0 || A.getHeads(doc).length > 0) resolve()
          for (; seen < list.length; seen++) {
            const t0 = started.get(`${d}:${list[seen].i}`)
            if (t0 !== undefined) samples.push(performance.now() - t0)
          }
        }
      })
      s.flush("request")
      await Promise.race([loaded, timeout(30000)])
      ready++
      waiters.push(p)
    }
  }
  const deadline = performance.now() + maxSecs * 1000
  let sent = 0
  for (let i = 0; i < posts && performance.now() < deadline; i++) {
    const d = i % docs
    started.set(`${d}:${i}`, performance.now())
    await post(sessions[d], i)
    sent++
    await new Promise(r => setTimeout(r, paceMs))
  }
  const expected = sent * perDoc
  const until = performance.now() + 10000
  while (samples.length < expected && performance.now() < until) {
    await new Promise(r => setTimeout(r, 50))
  }
  waiters.forEach(p => p.close())
  writer.close()
  const sorted = samples.slice().sort((a, b) => a - b)
  return {
    waiters: ready,
    posts: sent,
    deliveries: samples.length,
    expected,
    p50_ms: pct(sorted, 50),
    p99_ms: pct(sorted, 99),
  }
}

const n = args.map(Number)
const result = mode === "throughput"
  ? await throughput(n[0], n[1], n[2])
  : await latency(n[0], n[1], n[2], n[3], n[4])
console.log(JSON.stringify(result))
process.exit(0)
