/**
 * onnx-proto (protobufjs static code for ONNX 1.10 messages) is our ONNX writer: it is small,
 * already proven here on ORT 1.30, and the message set we emit (IR 8, opset 17, external data)
 * is all in 1.10. It ships CommonJS, hence the default import.
 */
import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
export type TensorProtoInit = import("onnx-proto").onnx.ITensorProto;
export type NodeProtoInit = import("onnx-proto").onnx.INodeProto;
export type ValueInfoInit = import("onnx-proto").onnx.IValueInfoProto;
export type AttributeInit = import("onnx-proto").onnx.IAttributeProto;
export type ModelProtoInit = import("onnx-proto").onnx.IModelProto;
