/**
 * The production pack's sources: SDXL base 1.0, InstantID's IdentityNet and adapter, and antelopev2's
 * detector and recogniser. Every revision is a commit; every size and sha256 is the real value
 * (sha256 of an LFS file is its LFS object id, which is what the hub's paths-info reports), with
 * where it was found in `provenance`. None is unknown today; an unknown one would be
 * `sha256: null, verifyOnFirstPull: true` (see source-manifest.ts).
 */
import { parseSourceManifest, type SourceManifest } from "../pull/source-manifest.ts";

const SDXL_LICENCE = "CreativeML Open RAIL++-M (use restrictions in its Attachment A apply to the weights and to what you generate)";

export const SDXL_INSTANTID: SourceManifest = parseSourceManifest(
  {
    name: "sdxl",
    description: "InstantID on SDXL base 1.0: fp16 weights, fp32 VAE decoder; antelopev2 face analysis",
    precision: "fp16-weights",
    faceEmbeddings: ["antelopev2"],
    facePack: "antelopev2",
    repos: [
      {
        repo: "stabilityai/stable-diffusion-xl-base-1.0",
        revision: "462165984030d82259a11f4367a4eed129e94a7b",
        licence: SDXL_LICENCE,
        provenance:
          "Official Stability AI repository. Revision: the commit pinned by several public projects' lock files. " +
          "Sizes and sha256: two independent public manifests of this revision's files (sizes+digests agree), " +
          "the fp16 weight digests also in many download scripts; tokenizer/merges.txt matches the CLIP merges this " +
          "project ships byte for byte. VAE fp32 digest: recorded as this revision's LFS sha256 by a public model " +
          "registry (same blob as stabilityai/sdxl-vae's diffusion_pytorch_model.safetensors); its size from a " +
          "files-metadata dump of this repository.",
        files: [
          { path: "scheduler/scheduler_config.json", bytes: 479, sha256: "af3e45a949aff8b8341ab8b811429ec03fee857a700a1d9477363e4fff9666e2", use: "checkpoint" },
          { path: "text_encoder/config.json", bytes: 565, sha256: "39b8b2e4b1949e36969caa425b6c81c68bace99198dd9078ce05d16ad401fe7f", use: "checkpoint" },
          { path: "text_encoder/model.fp16.safetensors", bytes: 246144152, sha256: "660c6f5b1abae9dc498ac2d21e1347d2abdb0cf6c0c0c8576cd796491d9a6cdd", use: "checkpoint" },
          { path: "text_encoder_2/config.json", bytes: 575, sha256: "a892d1c3a69a7e9247a24de2bc1d5891e3109a54696e53be20093af671072c34", use: "checkpoint" },
          { path: "text_encoder_2/model.fp16.safetensors", bytes: 1389382176, sha256: "ec310df2af79c318e24d20511b601a591ca8cd4f1fce1d8dff822a356bcdb1f4", use: "checkpoint" },
          { path: "tokenizer/vocab.json", bytes: 1059962, sha256: "e089ad92ba36837a0d31433e555c8f45fe601ab5c221d4f607ded32d9f7a4349", use: "checkpoint" },
          { path: "tokenizer/merges.txt", bytes: 524619, sha256: "9fd691f7c8039210e0fced15865466c65820d09b63988b0174bfe25de299051a", use: "checkpoint" },
          // Same bytes as tokenizer/ (the hub cache stores them once); kept so the layout has both tokenizers.
          { path: "tokenizer_2/vocab.json", bytes: 1059962, sha256: "e089ad92ba36837a0d31433e555c8f45fe601ab5c221d4f607ded32d9f7a4349", use: "checkpoint" },
          { path: "tokenizer_2/merges.txt", bytes: 524619, sha256: "9fd691f7c8039210e0fced15865466c65820d09b63988b0174bfe25de299051a", use: "checkpoint" },
          { path: "unet/config.json", bytes: 1680, sha256: "30ebc70750223e59006f7f2b4e1e6c102570aa19a9c4ae3e1fbe7591332dbae6", use: "checkpoint" },
          { path: "unet/diffusion_pytorch_model.fp16.safetensors", bytes: 5135149760, sha256: "83e012a805b84c7ca28e5646747c90a243c65c8ba4f070e2d7ddc9d74661e139", use: "checkpoint" },
          { path: "vae/config.json", bytes: 642, sha256: "0b331c8ac22ded5f9997a144a575c1d113d6169aff262c353f39015bd24a6264", use: "checkpoint" },
          {
            path: "vae/diffusion_pytorch_model.safetensors",
            bytes: 334643268,
            sha256: "1598f3d24932bcfe6634e8b618ea1e30ab1d57f5aad13a6d2de446d2199f2341",
            use: "checkpoint",
            note: "fp32, not the published fp16 variant: the VAE decoder is compiled and run in fp32 (fp16 SDXL VAEs overflow to black images)",
          },
        ],
      },
      {
        repo: "InstantX/InstantID",
        revision: "57b32dfee076092ad2930c71fd6d439c2c3b1820",
        licence: "Apache-2.0",
        provenance:
          "Official repository of the InstantID authors (InstantX). Revision: the commit pinned by many public projects. " +
          "Weight digests are the LFS object ids (they appear in the hub's own CDN URLs) with sizes from public manifests; " +
          "ControlNetModel/config.json: a vendored copy in a public repository hashes to the recorded digest (1376 bytes).",
        files: [
          { path: "ControlNetModel/config.json", bytes: 1376, sha256: "2480c42f363d712faae8d0e17cb850a5d1e4cafc232fbd022b1d43eee45234eb", use: "checkpoint" },
          { path: "ControlNetModel/diffusion_pytorch_model.safetensors", bytes: 2502139136, sha256: "c8127be9f174101ebdafee9964d856b49b634435cf6daa396d3f593cf0bbbb05", use: "checkpoint" },
          { path: "ip-adapter.bin", bytes: 1691134141, sha256: "02b3618e36d803784166660520098089a81388e61a93ef8002aa79a5b1c546e1", use: "checkpoint", note: "a torch.save zip; read by the project's own pickle reader, never executed" },
        ],
      },
      {
        repo: "DIAMONIK7777/antelopev2",
        revision: "ba0c3e10f4548361eb9a63265d87ce1140ab5a05",
        licence: "InsightFace pretrained models: non-commercial research use only",
        provenance:
          "A community mirror of insightface's antelopev2 pack; trust rests on the digests, not the host: both files " +
          "hash to the members of deepinsight's official antelopev2.zip (digests recorded independently by many " +
          "projects). It is the repository ByteDance's official PuLID code downloads antelopev2 from, and this revision " +
          "is pinned by several public projects (one cross-checks it byte for byte against MonsterMMORPG/InstantID_Models@397cafa).",
        files: [
          { path: "scrfd_10g_bnkps.onnx", bytes: 16923827, sha256: "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91", use: "face" },
          { path: "glintr100.onnx", bytes: 260665334, sha256: "4ab1d6435d639628a6f3e5008dd4f929edf4c4124b1a7169e1048f9fef534cdf", use: "face" },
        ],
      },
    ],
  },
  "models/manifests/production.ts",
);

/** Packs `npm run models -- pull <name>` knows by name. */
export const SOURCE_MANIFESTS: Readonly<Record<string, SourceManifest>> = { [SDXL_INSTANTID.name]: SDXL_INSTANTID };
