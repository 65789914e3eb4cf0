// The baseline relay: @automerge/automerge-repo-sync-server's own set-up (a Repo with the
// NodeWSServerAdapter, NodeFSStorageAdapter and `sharePolicy: async () => false`, as in the
// package's src/server.js), bound to 127.0.0.1 on the port given (0 = any free one). The
// packaged index.js listens on every interface, which a benchmark has no business doing.
import fs from "fs"
import http from "http"
import { WebSocketServer } from "ws"
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"

const dir = process.env.DATA_DIR ?? ".amrg"
fs.mkdirSync(dir, { recursive: true })
const socket = new WebSocketServer({ noServer: true })
new Repo({
  network: [new NodeWSServerAdapter(socket)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "storage-server-bench",
  sharePolicy: async () => false,
})
const server = http.createServer((req, res) => {
  res.end("sync server is running")
})
server.on("upgrade", (request, s, head) => {
  socket.handleUpgrade(request, s, head, ws => socket.emit("connection", ws, request))
})
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`)
})
process.on("SIGTERM", () => process.exit(0))
