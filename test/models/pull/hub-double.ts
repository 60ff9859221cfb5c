/**
 * A Hugging Face hub double on loopback: the part of the hub API @huggingface/hub's
 * downloadFileToCacheDir speaks, answered the way huggingface.co answers it.
 *  - POST /api/models/{owner}/{name}/paths-info/{rev}: JSON entries for the paths that exist (none
 *    for those that do not), LFS files with lfs.oid = sha256, git files with their blob sha1 oid.
 *  - GET/HEAD /{owner}/{name}/resolve/{rev}/{path}: git files served directly; LFS files answered
 *    with a 302 to a CDN path, as the hub does. ETag, X-Repo-Commit, X-Linked-Etag/-Size, Range
 *    (206 + Content-Range, 416 past the end), and 404 + X-Error-Code for missing repos, revisions
 *    and files; 401 for a gated repository without the right bearer token.
 * Tests can serve wrong bytes for a file, cut the connection mid-file, remove a file, and read
 * back every request it received.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface DoubleFile {
  repo: string;
  revision: string;
  path: string;
  content: Uint8Array;
}

export interface RecordedRequest {
  method: string;
  /** URL path, decoded. */
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  /** Body bytes actually sent. */
  servedBytes: number;
}

export interface HubDouble {
  url: string;
  requests: RecordedRequest[];
  /** Serve `content` for the file from now on; paths-info keeps advertising the true digest. */
  corrupt(repo: string, path: string, content: Uint8Array): void;
  restore(repo: string, path: string): void;
  /** The next `times` body responses for the file stop after `bytes` body bytes: the socket is destroyed. */
  cutAfter(repo: string, path: string, bytes: number, times?: number): void;
  remove(repo: string, path: string): void;
  /** From now on every request needs `Authorization: Bearer <token>` (a gated repository). */
  requireToken(token: string | undefined): void;
  /** Requests for one file's content (resolve or CDN), probes (Range: bytes=0-0) excluded. */
  contentRequests(repo: string, path: string): RecordedRequest[];
  close(): Promise<void>;
}

/** The hub keeps weights in LFS; small text files are plain git blobs. */
const isLfs = (path: string) => /\.(safetensors|bin|onnx|msgpack|pt|pth)$/.test(path);

interface Entry extends DoubleFile {
  sha256: string;
  gitOid: string;
  served: Uint8Array;
  cut?: { bytes: number; times: number };
}

export async function startHubDouble(files: DoubleFile[]): Promise<HubDouble> {
  const entries = new Map<string, Entry>();
  const keyOf = (repo: string, path: string) => `${repo}\u0000${path}`;
  for (const f of files) {
    entries.set(keyOf(f.repo, f.path), {
      ...f,
      sha256: createHash("sha256").update(f.content).digest("hex"),
      gitOid: createHash("sha1").update(`blob ${f.content.byteLength}\0`).update(f.content).digest("hex"),
      served: f.content,
    });
  }
  const revisions = new Map(files.map((f) => [f.repo, f.revision]));
  const requests: RecordedRequest[] = [];
  let token: string | undefined;

  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://double").pathname);
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      range: header(req, "range"),
      authorization: header(req, "authorization"),
      servedBytes: 0,
    };
    requests.push(record);
    void route(req, res, path, record).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { error: err.message });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse, path: string, record: RecordedRequest): Promise<void> {
    if (token !== undefined && record.authorization !== `Bearer ${token}`) {
      json(res, 401, { error: "Access to this model is restricted. You must have access to it and be authenticated to access it." }, { "x-error-code": "GatedRepo" });
      return;
    }
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/.exec(path);
    if (m && req.method === "POST") return pathsInfo(req, res, m[1]!, m[2]!);
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m && (req.method === "GET" || req.method === "HEAD")) return resolve(req, res, m[1]!, m[2]!, m[3]!, record);
    m = /^\/cdn-lfs\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/.exec(path);
    if (m && (req.method === "GET" || req.method === "HEAD")) {
      const e = [...entries.values()].find((x) => x.repo === m![1] && x.sha256 === m![2]);
      if (!e) return json(res, 404, { error: "Not found" });
      return serveBytes(req, res, e, record, { etag: `"${e.sha256}"` });
    }
    json(res, 404, { error: "Not found" });
  }

  /** 404 the way the hub does when the repository or revision is unknown; undefined when both exist. */
  function repoProblem(res: ServerResponse, repo: string, revision: string): boolean {
    const known = revisions.get(repo);
    if (known === undefined) {
      json(res, 404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      return true;
    }
    if (revision !== known && revision !== "main") {
      json(res, 404, { error: `Invalid rev id: ${revision}` }, { "x-error-code": "RevisionNotFound" });
      return true;
    }
    return false;
  }

  async function pathsInfo(req: IncomingMessage, res: ServerResponse, repo: string, revision: string): Promise<void> {
    const body = JSON.parse((await readBody(req)) || "{}") as { paths?: string[]; expand?: boolean };
    if (repoProblem(res, repo, revision)) return;
    const out = (body.paths ?? []).flatMap((p) => {
      const e = entries.get(keyOf(repo, p));
      if (!e) return [];
      return [
        {
          type: "file",
          oid: e.gitOid,
          size: e.content.byteLength,
          path: p,
          ...(isLfs(p) ? { lfs: { oid: e.sha256, size: e.content.byteLength, pointerSize: 134 } } : {}),
          ...(body.expand ? { lastCommit: { id: revisions.get(repo), title: "Upload", date: "2024-01-01T00:00:00.000Z" }, securityFileStatus: { status: "safe" } } : {}),
        },
      ];
    });
    json(res, 200, out);
  }

  function resolve(req: IncomingMessage, res: ServerResponse, repo: string, revision: string, path: string, record: RecordedRequest): void {
    if (repoProblem(res, repo, revision)) return;
    const e = entries.get(keyOf(repo, path));
    if (!e) {
      json(res, 404, { error: "Entry not found" }, { "x-error-code": "EntryNotFound", "x-repo-commit": revisions.get(repo)! });
      return;
    }
    const common = { "x-repo-commit": revisions.get(repo)! };
    if (isLfs(path)) {
      res.writeHead(302, {
        ...common,
        location: `/cdn-lfs/${repo}/${e.sha256}`,
        etag: `"${e.sha256}"`,
        "x-linked-etag": `"${e.sha256}"`,
        "x-linked-size": String(e.content.byteLength),
        "content-length": "0",
      });
      res.end();
      return;
    }
    serveBytes(req, res, e, record, { ...common, etag: `"${e.gitOid}"` });
  }

  function serveBytes(req: IncomingMessage, res: ServerResponse, e: Entry, record: RecordedRequest, headers: Record<string, string>): void {
    const data = e.served;
    const total = data.byteLength;
    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(record.range ?? "");
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1;
      if (start >= total) {
        res.writeHead(416, { "content-range": `bytes */${total}` });
        res.end();
        return;
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${total}`;
    }
    res.writeHead(status, { ...headers, "accept-ranges": "bytes", "content-type": "application/octet-stream", "content-length": String(end - start + 1) });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const body = data.subarray(start, end + 1);
    const isProbe = record.range === "bytes=0-0";
    if (!isProbe && e.cut && e.cut.times > 0 && body.byteLength > e.cut.bytes) {
      e.cut.times--;
      const part = body.subarray(0, e.cut.bytes);
      record.servedBytes = part.byteLength;
      res.write(part, () => setImmediate(() => res.socket?.destroy()));
      return;
    }
    record.servedBytes = body.byteLength;
    res.end(body);
  }

  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  const need = (repo: string, path: string) => {
    const e = entries.get(keyOf(repo, path));
    if (!e) throw new Error(`the double serves no ${repo}/${path}`);
    return e;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    corrupt: (repo, path, content) => void (need(repo, path).served = content),
    restore: (repo, path) => void (need(repo, path).served = need(repo, path).content),
    cutAfter: (repo, path, bytes, times = 1) => void (need(repo, path).cut = { bytes, times }),
    remove: (repo, path) => void entries.delete(keyOf(repo, path)),
    requireToken: (t) => void (token = t),
    contentRequests(repo, path) {
      const e = need(repo, path);
      const paths = new Set([`/${repo}/resolve/${e.revision}/${path}`, `/cdn-lfs/${repo}/${e.sha256}`]);
      return requests.filter((r) => r.method === "GET" && paths.has(r.path) && r.range !== "bytes=0-0" && !(isLfs(path) && r.path.includes("/resolve/")));
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
