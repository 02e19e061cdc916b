/**
 * The part of ONNX's protobuf schema (onnx/onnx.proto3, IR version 8) that a decoder graph
 * uses, as a protobufjs descriptor: models, graphs, nodes, attributes, tensors, value infos,
 * opset ids and metadata entries, with ONNX's field numbers. Fields it leaves out are
 * skipped when a file is read. protobufjs does the wire format.
 *
 * @module
 */
import protobuf from "protobufjs";

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;

/** `AttributeProto.AttributeType` values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** `TensorShapeProto.Dimension`: a size or a symbolic name. */
export interface IDimension {
  dimValue?: number;
  dimParam?: string;
}

/** `TypeProto` (tensor types only). */
export interface ITypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: IDimension[] } };
}

/** `ValueInfoProto`. */
export interface IValueInfoProto {
  name?: string;
  type?: ITypeProto;
  docString?: string;
}

/** `TensorProto`. */
export interface ITensorProto {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  name?: string;
  rawData?: Uint8Array;
  docString?: string;
}

/** `AttributeProto`. */
export interface IAttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: ITensorProto;
  floats?: number[];
  ints?: number[];
}

/** `NodeProto`. */
export interface INodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: IAttributeProto[];
  docString?: string;
}

/** `GraphProto`. */
export interface IGraphProto {
  node?: INodeProto[];
  name?: string;
  initializer?: ITensorProto[];
  docString?: string;
  input?: IValueInfoProto[];
  output?: IValueInfoProto[];
  valueInfo?: IValueInfoProto[];
}

/** `ModelProto`. */
export interface IModelProto {
  irVersion?: number;
  opsetImport?: { domain?: string; version?: number }[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: IGraphProto;
  metadataProps?: { key?: string; value?: string }[];
}

const packed = { packed: true };
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            refAttrName: { type: "string", id: 21 },
            docString: { type: "string", id: 13 },
            type: { type: "int32", id: 20 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            floats: { rule: "repeated", type: "float", id: 7, options: packed },
            ints: { rule: "repeated", type: "int64", id: 8, options: packed },
            strings: { rule: "repeated", type: "bytes", id: 9 },
            tensors: { rule: "repeated", type: "TensorProto", id: 10 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
            docString: { type: "string", id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            domain: { type: "string", id: 7 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
            docString: { type: "string", id: 6 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            modelVersion: { type: "int64", id: 5 },
            docString: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 14 },
          },
        },
        StringStringEntryProto: {
          fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } },
        },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            docString: { type: "string", id: 10 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
            valueInfo: { rule: "repeated", type: "ValueInfoProto", id: 13 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1, options: packed },
            dataType: { type: "int32", id: 2 },
            floatData: { rule: "repeated", type: "float", id: 4, options: packed },
            int32Data: { rule: "repeated", type: "int32", id: 5, options: packed },
            stringData: { rule: "repeated", type: "bytes", id: 6 },
            int64Data: { rule: "repeated", type: "int64", id: 7, options: packed },
            name: { type: "string", id: 8 },
            docString: { type: "string", id: 12 },
            rawData: { type: "bytes", id: 9 },
            doubleData: { rule: "repeated", type: "double", id: 10, options: packed },
            uint64Data: { rule: "repeated", type: "uint64", id: 11, options: packed },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
              fields: {
                dimValue: { type: "int64", id: 1 },
                dimParam: { type: "string", id: 2 },
                denotation: { type: "string", id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensorType"] } },
          fields: { tensorType: { type: "Tensor", id: 1 }, denotation: { type: "string", id: 6 } },
          nested: {
            Tensor: {
              fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } },
            },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } },
        },
      },
    },
  },
};

const ModelProto = protobuf.Root.fromJSON(SCHEMA).lookupType("onnx.ModelProto");

/**
 * Encode a model as ONNX protobuf bytes.
 *
 * @param model The model.
 * @returns The `.onnx` file's bytes.
 */
export function encodeModel(model: IModelProto): Uint8Array {
  const b = ModelProto.encode(ModelProto.fromObject(model)).finish();
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a plain view, not a node Buffer
}

/**
 * Decode ONNX protobuf bytes.
 *
 * @param bytes A `.onnx` file's bytes.
 * @returns The model (int64 fields as numbers, bytes as Uint8Array; unset fields absent).
 */
export function decodeModel(bytes: Uint8Array): IModelProto {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as IModelProto;
}
