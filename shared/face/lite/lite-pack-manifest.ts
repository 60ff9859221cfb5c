/**
 * The lite face pack: three ONNX files from the npm package faceplugin-face-recognition-js@0.0.1
 * (MIT), pinned by full sha256 so a changed or tampered package is refused. Platform-free: the browser
 * checks the same pins.
 */
export const LITE_PACK_PACKAGE = "faceplugin-face-recognition-js@0.0.1";

/** File name -> sha256 of its bytes; each lives at model/<name> inside the package. */
export const LITE_PACK_SHA256: Readonly<Record<string, string>> = {
  "fr_detect.onnx": "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",
  "fr_landmark.onnx": "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258",
  "fr_feature.onnx": "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",
};
