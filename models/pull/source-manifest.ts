/**
 * A source manifest: exactly which upstream files a model pack is compiled from, pinned to a commit,
 * with the size and sha256 each must have. `npm run models -- pull <name>` fetches these into the
 * Hugging Face cache, checks every byte against them, and compiles the pack.
 *
 * A value nobody could look up is written as null with `verifyOnFirstPull: true`: the first pull
 * records what it downloaded in the lock file, and every later pull and `verify` hold it to that.
 */
import { z } from "zod";
import { PullError } from "./pull-error.ts";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex sha256");
const Commit = z.string().regex(/^[0-9a-f]{40}$/, "a full 40-hex commit hash (branches and tags move)");

/** A path inside a repository or a pack: relative, forward slashes, no `..`. */
const RelativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.includes("\\") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."), "a relative path without . or .. segments");

export const SourceFile = z
  .object({
    path: RelativePath,
    bytes: z.number().int().positive().nullable(),
    sha256: Sha256.nullable(),
    /** True when bytes or sha256 is null: pinned into the lock file by the first pull. */
    verifyOnFirstPull: z.boolean().optional(),
    /**
     * Where the file goes: "checkpoint" files form the diffusers-layout folder the compiler reads
     * (both repositories merged); "face" files are copied into the face-analysis pack folder.
     */
    use: z.enum(["checkpoint", "face"]),
    /** Its path in that folder, when not the same as in the repository. */
    as: RelativePath.optional(),
    note: z.string().optional(),
  })
  .refine((f) => (f.bytes !== null && f.sha256 !== null) || f.verifyOnFirstPull === true, {
    message: "an unknown size or sha256 must be marked verifyOnFirstPull: true",
  });
export type SourceFile = z.infer<typeof SourceFile>;

export const SourceRepo = z.object({
  /** "owner/name" of a model repository. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "owner/name"),
  revision: Commit,
  licence: z.string().min(1),
  /** Where the pinned values come from and why this host can be trusted. */
  provenance: z.string().min(1),
  files: z.array(SourceFile).min(1),
});
export type SourceRepo = z.infer<typeof SourceRepo>;

export const SourceManifest = z
  .object({
    name: z.string().regex(/^[\w.-]+$/),
    description: z.string(),
    /** compilePack's precision (the VAE decoder stays fp32 whatever this says). */
    precision: z.enum(["fp32", "fp16-weights", "fp16"]),
    /** Face-embedding packs the compiled adapter accepts (pack.json faceEmbeddings). */
    faceEmbeddings: z.array(z.string()).min(1),
    /** Folder name, beside the pack, for the "face" files (the FacePackConfig dir). */
    facePack: z.string().regex(/^[\w.-]+$/),
    repos: z.array(SourceRepo).min(1),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, string>();
    for (const r of m.repos) {
      for (const f of r.files) {
        const dest = `${f.use}:${f.as ?? f.path}`;
        const other = seen.get(dest);
        if (other) ctx.addIssue({ code: "custom", message: `${r.repo}/${f.path} and ${other} both land at ${dest}` });
        seen.set(dest, `${r.repo}/${f.path}`);
      }
    }
  });
export type SourceManifest = z.infer<typeof SourceManifest>;

/** One file of a manifest with the repository it comes from. */
export interface PinnedFile extends SourceFile {
  repo: string;
  revision: string;
  /** Stable name used in messages and the lock file: owner/name@rev7:path. */
  key: string;
}

export function pinnedFiles(m: SourceManifest): PinnedFile[] {
  return m.repos.flatMap((r) => r.files.map((f) => ({ ...f, repo: r.repo, revision: r.revision, key: fileKey(r.repo, r.revision, f.path) })));
}

export function fileKey(repo: string, revision: string, path: string): string {
  return `${repo}@${revision.slice(0, 7)}:${path}`;
}

/** Validates a manifest (from code or a JSON file), turning zod's issues into one PullError. */
export function parseSourceManifest(raw: unknown, origin: string): SourceManifest {
  const r = SourceManifest.safeParse(raw);
  if (!r.success) {
    throw new PullError("manifest_invalid", `${origin}: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  return r.data;
}
