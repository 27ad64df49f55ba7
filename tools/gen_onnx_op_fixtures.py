#!/usr/bin/env python3
"""Op-level ONNX fixtures for ArgusONNX: tiny single- and few-op graphs built with onnx.helper, each run
by onnxruntime (CPU, one thread, default graph optimisations), saved as `<case>.onnx` plus one
`cases.json` with every case's float feeds and onnxruntime's outputs.

Run from the repository root (the reference venv is made by `bash ../shared/bench/install_venv.sh DIR`):
    /work/venv-ref/bin/python tools/gen_onnx_op_fixtures.py

Writes Tests/ArgusONNXTests/Fixtures/ops/: `<case>.onnx` and `cases.json` =
  {"onnxruntime": version, "onnx": version, "cases": [{"name", "file", "exact": bool,
    "inputs": {name: {"shape", "data"}}, "outputs": {name: {"shape", "dtype", "data"}}}]}
Feeds are float32 (the only type ONNXModel.run takes); integer tensors enter as initializers. Output data
is flattened row-major; non-finite floats are written as the strings "nan", "inf", "-inf". `exact` marks
cases whose outputs are integers (compare exactly); float outputs are compared within 1e-5.

Edge cases covered: numpy broadcasting (both sides, scalars), INT64 shape arithmetic (Shape/Gather/Div/
Concat/Reshape), Conv with groups/depthwise/asymmetric pads/dilations/auto_pad SAME_UPPER, the Conv ->
Sigmoid -> Mul SiLU pattern (fused, and unfused because the conv output is also a graph output), Concat -> 1x1
Conv (fused, and unfused because the concatenation is also a graph output),
ConvTranspose (kernel == stride, and a general one with pads/output_padding/groups/dilation), MaxPool
(symmetric, asymmetric pads, ceil_mode), Resize (nearest asymmetric/floor as in the YOLO exports, the
other nearest modes, linear half_pixel/align_corners/asymmetric, scales and sizes), Softmax (opset 13
single axis vs opset 11 coerce-to-2D, negative axis), Split (input sizes, attribute, opset-18
num_outputs uneven, equal), Slice (negative steps/starts, INT64_MAX ends, negative axes, opset 9
attributes), Transpose/Reshape/Unsqueeze/Squeeze/Flatten/Gather/Constant/Identity/Cast/Range/Expand/ConstantOfShape, the unary float ops (Exp for
decode-in-graph YOLOX exports, Relu, Neg, Abs, Sqrt, Tanh, Floor, Ceil, Reciprocal),
DynamicQuantizeLinear (random, exact .5 ties in x/scale and in the zero point, all-negative, constant,
all-zero input), ConvInteger (uint8 input with a zero point, uint8 weights with a zero point, int8 weights,
pads, sums beyond 2^24), the full onnxruntime quantize_dynamic block (DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul ->
Add -> Sigmoid -> Mul) fused and with every intermediate exposed (unfused), and Sigmoid over [-30, 30].
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Tests', 'ArgusONNXTests', 'Fixtures', 'ops')
rng = np.random.default_rng(20261122)
CASES = []
ERRORS = []

DTYPES = {np.dtype('float32'): 'FLOAT', np.dtype('int64'): 'INT64', np.dtype('int32'): 'INT32',
          np.dtype('uint8'): 'UINT8', np.dtype('int8'): 'INT8', np.dtype('bool'): 'BOOL'}


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def value(v):
    """A JSON-safe scalar."""
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return 'nan'
        if np.isinf(v):
            return 'inf' if v > 0 else '-inf'
        return float(str(np.float32(v)))  # the shortest decimal that reads back as the same float32
    return int(v)


def case(name, nodes, feeds, outputs, initializers=(), opset=13, exact=False, extra_outputs=()):
    """Builds the graph, runs onnxruntime and records the case. `outputs`: names; types come from
    onnxruntime itself (graph outputs are declared without a type, then re-declared from a first run)."""
    inputs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in feeds.items()]
    # First pass: infer output types with onnx shape inference.
    probe = helper.make_graph(nodes, name, inputs, [helper.make_empty_tensor_value_info(o) for o in outputs],
                              initializer=list(initializers))
    model = helper.make_model(probe, opset_imports=[helper.make_opsetid('', opset)])
    model.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {vi.name: vi.type.tensor_type.elem_type for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    outs = [helper.make_tensor_value_info(o, types.get(o, TensorProto.FLOAT) or TensorProto.FLOAT, None) for o in outputs]
    graph = helper.make_graph(nodes, name, inputs, outs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])
    model.ir_version = 8

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=['CPUExecutionProvider'])
    results = sess.run(None, {k: v for k, v in feeds.items()})
    fname = name + '.onnx'
    onnx.save(model, os.path.join(OUT, fname))
    CASES.append({
        'name': name, 'file': fname, 'exact': exact,
        'inputs': {k: {'shape': list(v.shape), 'data': [value(x) for x in v.reshape(-1)]} for k, v in feeds.items()},
        'outputs': {o: {'shape': list(np.asarray(r).shape), 'dtype': DTYPES[np.asarray(r).dtype],
                        'data': [value(x) for x in np.asarray(r).reshape(-1)]} for o, r in zip(outputs, results)},
    })


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


def elementwise():
    case('add_broadcast', [node('Add', ['a', 'b'], ['y'])], {'a': f32(2, 3, 4, 5), 'b': f32(3, 1, 5)}, ['y'])
    case('mul_broadcast_both', [node('Mul', ['a', 'b'], ['y'])], {'a': f32(4, 1, 3), 'b': f32(1, 5, 1)}, ['y'])
    case('sub_scalar_initializer', [node('Sub', ['s', 'a'], ['y'])], {'a': f32(2, 3)}, ['y'],
         [init('s', np.array(1.5, np.float32))])
    case('div_row', [node('Div', ['a', 'b'], ['y'])], {'a': f32(3, 4), 'b': f32(4) + 3}, ['y'])
    x = np.concatenate([np.linspace(-30, 30, 241), [0.0, -0.0, 17.844, -18.0, 18.0, 1e-8]]).astype(np.float32)
    case('sigmoid_range', [node('Sigmoid', ['x'], ['y'])], {'x': x}, ['y'])
    u = np.concatenate([np.linspace(-9, 9, 37), [0.0, 0.25, 1e-3]]).astype(np.float32)
    for op in ['Exp', 'Relu', 'Neg', 'Abs', 'Tanh', 'Floor', 'Ceil']:
        case(f'unary_{op.lower()}', [node(op, ['x'], ['y'])], {'x': u}, ['y'])
    case('unary_sqrt_reciprocal', [node('Sqrt', ['x'], ['s']), node('Reciprocal', ['x'], ['r'])],
         {'x': np.abs(u) + 0.5}, ['s', 'r'])
    case('cast_float_int', [node('Cast', ['x'], ['i'], to=TensorProto.INT64), node('Cast', ['i'], ['y'], to=TensorProto.FLOAT),
                            node('Cast', ['x'], ['j'], to=TensorProto.INT32), node('Cast', ['j'], ['z'], to=TensorProto.FLOAT)],
         {'x': np.array([-2.7, -0.5, 0.0, 0.4, 3.9, 100.99, -100.99], np.float32)}, ['y', 'z'], exact=True)
    # INT64 shape arithmetic as in Ultralytics' unsimplified exports (Shape -> Gather -> Div -> Concat -> Reshape).
    case('int64_shape_arithmetic', [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'one'], ['c'], axis=0),
        node('Div', ['c', 'two'], ['half']),
        node('Mul', ['half', 'two'], ['back']),
        node('Sub', ['back', 'one'], ['less']),
        node('Unsqueeze', ['half', 'ax0'], ['half1']),
        node('Concat', ['n2', 'half1', 'm1'], ['shape'], axis=0),
        node('Reshape', ['x', 'shape'], ['y']),
        node('Cast', ['less'], ['lessf'], to=TensorProto.FLOAT),
    ], {'x': f32(2, 6, 4)}, ['y', 'lessf'],
        [init('one', np.array(1, np.int64)), init('two', np.array(2, np.int64)), init('ax0', np.array([0], np.int64)),
         init('n2', np.array([2], np.int64)), init('m1', np.array([-1], np.int64))])


def convs():
    x = f32(1, 4, 9, 10)
    case('conv_basic', [node('Conv', ['x', 'w', 'b'], ['y'], kernel_shape=[3, 3], pads=[1, 1, 1, 1])], {'x': x}, ['y'],
         [init('w', f32(6, 4, 3, 3)), init('b', f32(6))])
    case('conv_asym_pads_group_dilation', [node('Conv', ['x', 'w'], ['y'], kernel_shape=[3, 2], pads=[0, 1, 2, 1],
                                                strides=[2, 1], dilations=[2, 1], group=2)], {'x': x}, ['y'],
         [init('w', f32(4, 2, 3, 2))])
    case('conv_depthwise_s2', [node('Conv', ['x', 'w', 'b'], ['y'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2],
                                    group=4)], {'x': x}, ['y'], [init('w', f32(4, 1, 3, 3)), init('b', f32(4))])
    case('conv_same_upper', [node('Conv', ['x', 'w'], ['y'], kernel_shape=[4, 4], strides=[2, 2], auto_pad='SAME_UPPER')],
         {'x': x}, ['y'], [init('w', f32(3, 4, 4, 4))])
    silu = [node('Conv', ['x', 'w', 'b'], ['c'], kernel_shape=[1, 1]), node('Sigmoid', ['c'], ['s']), node('Mul', ['c', 's'], ['y'])]
    weights = [init('w', f32(5, 4, 1, 1)), init('b', f32(5))]
    case('conv_silu_fused', silu, {'x': x}, ['y'], weights)
    case('conv_silu_unfused', silu, {'x': x}, ['y', 'c'], weights)
    xt = f32(1, 4, 5, 6)
    case('convtranspose_k2s2', [node('ConvTranspose', ['x', 'w', 'b'], ['y'], kernel_shape=[2, 2], strides=[2, 2])],
         {'x': xt}, ['y'], [init('w', f32(4, 3, 2, 2)), init('b', f32(3))])
    case('convtranspose_general', [node('ConvTranspose', ['x', 'w', 'b'], ['y'], kernel_shape=[3, 3], strides=[2, 2],
                                        pads=[1, 0, 1, 2], output_padding=[1, 1], group=2, dilations=[1, 2])],
         {'x': xt}, ['y'], [init('w', f32(4, 3, 3, 3)), init('b', f32(6))])


def pools_resize_softmax():
    x = f32(1, 3, 7, 8)
    case('maxpool_k5_p2', [node('MaxPool', ['x'], ['y'], kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1])], {'x': x}, ['y'])
    case('maxpool_asym', [node('MaxPool', ['x'], ['y'], kernel_shape=[3, 3], pads=[0, 0, 1, 1], strides=[2, 2])], {'x': x}, ['y'])
    case('maxpool_ceil', [node('MaxPool', ['x'], ['y'], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)], {'x': x}, ['y'])
    r = f32(1, 2, 3, 5)
    empty = init('roi', np.zeros(0, np.float32))
    case('resize_nearest_asym_floor_x2', [node('Resize', ['x', 'roi', 'scales'], ['y'], mode='nearest',
                                               coordinate_transformation_mode='asymmetric', nearest_mode='floor')],
         {'x': r}, ['y'], [empty, init('scales', np.array([1, 1, 2, 2], np.float32))], opset=11)
    case('resize_nearest_opset13_noroi', [node('Resize', ['x', '', 'scales'], ['y'], mode='nearest',
                                               coordinate_transformation_mode='asymmetric', nearest_mode='floor')],
         {'x': r}, ['y'], [init('scales', np.array([1, 1, 2, 2], np.float32))], opset=13)
    for mode, ctm, nm in [('nearest', 'half_pixel', 'round_prefer_floor'), ('nearest', 'align_corners', 'round_prefer_ceil'),
                          ('nearest', 'pytorch_half_pixel', 'ceil'), ('nearest', 'asymmetric', 'round_prefer_floor'),
                          ('linear', 'half_pixel', None), ('linear', 'align_corners', None), ('linear', 'asymmetric', None),
                          ('linear', 'pytorch_half_pixel', None)]:
        attrs = {'mode': mode, 'coordinate_transformation_mode': ctm}
        if nm:
            attrs['nearest_mode'] = nm
        case(f'resize_{mode}_{ctm}_sizes', [node('Resize', ['x', '', '', 'sizes'], ['y'], **attrs)], {'x': r}, ['y'],
             [init('sizes', np.array([1, 2, 7, 8], np.int64))])
        case(f'resize_{mode}_{ctm}_scales', [node('Resize', ['x', '', 'scales'], ['y'], **attrs)], {'x': r}, ['y'],
             [init('scales', np.array([1, 1, 1.5, 0.6], np.float32))])
    s = f32(2, 3, 4)
    case('softmax13_axis1', [node('Softmax', ['x'], ['y'], axis=1)], {'x': f32(2, 3, 2, 2)}, ['y'])
    case('softmax13_default', [node('Softmax', ['x'], ['y'])], {'x': s}, ['y'])
    case('softmax11_axis1_coerce', [node('Softmax', ['x'], ['y'], axis=1)], {'x': s}, ['y'], opset=11)
    case('softmax11_negative_axis', [node('Softmax', ['x'], ['y'], axis=-2)], {'x': s}, ['y'], opset=11)


def layout():
    x = f32(2, 7, 3)
    case('concat_negative_axis', [node('Concat', ['a', 'b', 'c'], ['y'], axis=-1)], {'a': f32(2, 3, 1), 'b': f32(2, 3, 4), 'c': f32(2, 3, 2)}, ['y'])
    case('split13_sizes', [node('Split', ['x', 'sizes'], ['a', 'b', 'c'], axis=1)], {'x': x}, ['a', 'b', 'c'],
         [init('sizes', np.array([2, 4, 1], np.int64))])
    case('split11_attribute', [node('Split', ['x'], ['a', 'b'], axis=-1, split=[1, 2])], {'x': x}, ['a', 'b'], opset=11)
    case('split18_num_outputs_uneven', [node('Split', ['x'], ['a', 'b', 'c'], axis=1, num_outputs=3)], {'x': x}, ['a', 'b', 'c'], opset=18)
    case('split13_equal', [node('Split', ['x'], ['a', 'b', 'c'], axis=2)], {'x': x}, ['a', 'b', 'c'])
    big = 9223372036854775807
    case('slice_steps', [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])], {'x': f32(3, 8, 5)}, ['y'],
         [init('st', np.array([-1, 1], np.int64)), init('en', np.array([-big, big], np.int64)),
          init('ax', np.array([-2, 0], np.int64)), init('sp', np.array([-3, 2], np.int64))])
    case('slice_focus_like', [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])], {'x': f32(1, 3, 6, 6)}, ['y'],
         [init('st', np.array([1], np.int64)), init('en', np.array([big], np.int64)),
          init('ax', np.array([3], np.int64)), init('sp', np.array([2], np.int64))], opset=11)
    case('slice_clamped_default_axes', [node('Slice', ['x', 'st', 'en'], ['y'])], {'x': f32(4, 5)}, ['y'],
         [init('st', np.array([-10, 2], np.int64)), init('en', np.array([3, 100], np.int64))])
    case('slice9_attributes', [node('Slice', ['x'], ['y'], starts=[1, 0], ends=[3, -1], axes=[1, 2])], {'x': f32(2, 4, 5)}, ['y'], opset=9)
    case('transpose_perm', [node('Transpose', ['x'], ['y'], perm=[0, 2, 1, 3])], {'x': f32(1, 4, 3, 5)}, ['y'])
    case('transpose_default', [node('Transpose', ['x'], ['y'])], {'x': f32(2, 3, 4)}, ['y'])
    case('reshape_zero_minus1', [node('Reshape', ['x', 'shape'], ['y'])], {'x': f32(2, 3, 4)}, ['y'],
         [init('shape', np.array([0, -1, 2], np.int64))])
    case('unsqueeze_squeeze_flatten', [node('Unsqueeze', ['x', 'ax'], ['u']), node('Squeeze', ['u', 'ax0'], ['s']),
                                       node('Flatten', ['s'], ['y'], axis=2)], {'x': f32(2, 3, 4)}, ['u', 's', 'y'],
         [init('ax', np.array([0, -1], np.int64)), init('ax0', np.array([0], np.int64))])
    case('gather_negative', [node('Gather', ['x', 'i'], ['y'], axis=1)], {'x': f32(2, 5, 3)}, ['y'],
         [init('i', np.array([[-1, 0], [2, -5]], np.int64))])
    case('range_expand_constantofshape', [
        node('Range', ['s', 'l', 'd'], ['r']), node('Cast', ['r'], ['rf'], to=TensorProto.FLOAT),
        node('Range', ['fs', 'fl', 'fd'], ['rf2']),
        node('Expand', ['x', 'shape'], ['e']),
        node('ConstantOfShape', ['cshape'], ['c'], value=numpy_helper.from_array(np.array([2.5], np.float32))),
        node('Add', ['x', 'c'], ['xc'])],
        {'x': f32(3, 1)}, ['rf', 'rf2', 'e', 'xc'],
        [init('s', np.array(10, np.int64)), init('l', np.array(-3, np.int64)), init('d', np.array(-4, np.int64)),
         init('fs', np.array(0.5, np.float32)), init('fl', np.array(2.1, np.float32)), init('fd', np.array(0.3, np.float32)),
         init('shape', np.array([2, 1, 4], np.int64)), init('cshape', np.array([3, 2], np.int64))])
    case('constant_identity', [node('Constant', [], ['c'], value=numpy_helper.from_array(f32(3, 1), 'c')),
                               node('Identity', ['x'], ['i']), node('Add', ['i', 'c'], ['y'])], {'x': f32(3, 4)}, ['y'])


def quantized():
    def dql(name, x):
        case(name, [node('DynamicQuantizeLinear', ['x'], ['q', 's', 'z']), node('Cast', ['q'], ['qf'], to=TensorProto.FLOAT),
                    node('Cast', ['z'], ['zf'], to=TensorProto.FLOAT)], {'x': x.astype(np.float32)}, ['qf', 's', 'zf'], exact=True)
    dql('dql_random', f32(3, 40, scale=3))
    # range [0, 255] -> scale exactly 1: x / scale = k + 0.5 are exact ties (half to even).
    dql('dql_ties', np.array([0, 255, 0.5, 1.5, 2.5, 3.5, 100.5, 101.5, 254.5, 7.49, 7.51]))
    # range [-127.5, 127.5] -> scale 1, zero point 127.5 is a tie (-> 128).
    dql('dql_zero_point_tie', np.array([-127.5, 127.5, -0.5, 0.5, -1.5, 1.5, 3.25]))
    dql('dql_all_negative', -np.abs(f32(2, 9)) - 0.25)
    dql('dql_constant', np.full((2, 5), 3.0))
    dql('dql_all_zero', np.zeros((4,)))
    xq = rng.integers(0, 256, (1, 3, 6, 7)).astype(np.uint8)
    case('convinteger_zero_points', [node('ConvInteger', ['xq', 'wq', 'xz', 'wz'], ['acc'], kernel_shape=[3, 3], pads=[1, 0, 1, 2],
                                          strides=[1, 2]), node('Cast', ['acc'], ['y'], to=TensorProto.FLOAT)],
         {'dummy': f32(1)}, ['y'], [init('xq', xq), init('wq', rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8)),
                                    init('xz', np.array(131, np.uint8)), init('wz', np.array(120, np.uint8))], opset=13, exact=True)
    case('convinteger_int8_weights', [node('ConvInteger', ['xq', 'wq'], ['acc'], kernel_shape=[1, 1]),
                                      node('Cast', ['acc'], ['y'], to=TensorProto.FLOAT)],
         {'dummy': f32(1)}, ['y'], [init('xq', xq), init('wq', rng.integers(-127, 128, (5, 3, 1, 1)).astype(np.int8))],
         opset=13, exact=True)
    # Sums far beyond 2^24 (300 channels x 9 taps of ~230 x ~230): exact int32 results need the chunked path.
    # The output is split into acc // 1024 and acc % 1024 (INT64 arithmetic) so both halves are exact in float32.
    case('convinteger_large_sums', [node('ConvInteger', ['xq', 'wq'], ['acc'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                                    node('Cast', ['acc'], ['acc64'], to=TensorProto.INT64),
                                    node('Div', ['acc64', 'k'], ['hi']), node('Mul', ['hi', 'k'], ['back']),
                                    node('Sub', ['acc64', 'back'], ['lo'])],
         {'dummy': f32(1)}, ['hi', 'lo'], [init('xq', rng.integers(200, 256, (1, 300, 3, 3)).astype(np.uint8)),
                                           init('wq', rng.integers(200, 256, (2, 300, 3, 3)).astype(np.uint8)),
                                           init('k', np.array(1024, np.int64))], opset=13, exact=True)
    # The full onnxruntime quantize_dynamic conv block with SiLU, fused and (intermediates exposed) unfused.
    nodes = [node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']),
             node('Mul', ['xs', 'ws'], ['scale']),
             node('ConvInteger', ['xq', 'wq', 'xz', 'wz'], ['acc'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
             node('Cast', ['acc'], ['accf'], to=TensorProto.FLOAT),
             node('Mul', ['accf', 'scale'], ['scaled']),
             node('Add', ['scaled', 'bias'], ['pre']),
             node('Sigmoid', ['pre'], ['sig']),
             node('Mul', ['pre', 'sig'], ['y'])]
    weights = [init('ws', np.array(0.0123, np.float32)), init('wq', rng.integers(-127, 128, (6, 4, 3, 3)).astype(np.int8)),
               init('wz', np.array(0, np.int8)), init('bias', f32(1, 6, 1, 1))]
    x = f32(1, 4, 9, 8, scale=2)
    case('quant_block_fused', nodes, {'x': x}, ['y'], weights, opset=20)
    case('quant_block_unfused', nodes, {'x': x}, ['y', 'acc', 'accf', 'scaled', 'pre', 'sig'], weights, opset=20)


def error_models():
    """Files ONNXModel must refuse at load, with the error kind and a phrase its message must contain
    (written without onnxruntime: most of them it would refuse too)."""
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 2])

    def save(name, nodes, inits=(), kind='unsupported', phrase='', opset=13, inputs=(x,)):
        g = helper.make_graph(nodes, name, list(inputs), [y], initializer=list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
        m.ir_version = 8
        onnx.save(m, os.path.join(OUT, name + '.onnx'))
        ERRORS.append({'file': name + '.onnx', 'kind': kind, 'phrase': phrase})

    save('error_unsupported_op', [node('Hardmax', ['x'], ['y'])], phrase='Hardmax')
    save('error_unsupported_attribute', [node('Softmax', ['x'], ['y'], axis=1, colour=3)], phrase='colour')
    save('error_unknown_domain', [helper.make_node('Gelu', ['x'], ['y'], domain='com.microsoft')], phrase='com.microsoft.Gelu')
    save('error_dangling_input', [node('Add', ['x', 'nowhere'], ['y'])], kind='malformed', phrase='nowhere')
    short = init('w', np.ones((2, 2), np.float32))
    short.raw_data = short.raw_data[:12]
    save('error_initializer_size', [node('Add', ['x', 'w'], ['y'])], [short], kind='malformed', phrase='raw_data')
    ext = init('w', np.ones((1, 2), np.float32))
    ext.ClearField('raw_data')
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key='location', value='weights.bin')
    save('error_external_data', [node('Add', ['x', 'w'], ['y'])], [ext], phrase='external')
    save('error_int_feed', [node('Cast', ['i'], ['y'], to=TensorProto.FLOAT)], phrase='INT64',
         inputs=[helper.make_tensor_value_info('i', TensorProto.INT64, [1, 2])])
    save('error_type_mismatch', [node('Add', ['x', 'k'], ['y'])], [init('k', np.ones((1, 2), np.int64))],
         kind='malformed', phrase='differ')


def concat_conv():
    # Last, so the cases before it keep their random draws.
    parts = {'p0': f32(1, 2, 5, 6), 'p1': f32(1, 3, 5, 6), 'p2': f32(1, 1, 5, 6)}
    cat = [node('Concat', ['p0', 'p1', 'p2'], ['k'], axis=1), node('Conv', ['k', 'w', 'b'], ['c'], kernel_shape=[1, 1]),
           node('Sigmoid', ['c'], ['s']), node('Mul', ['c', 's'], ['y'])]
    cat_weights = [init('w', f32(4, 6, 1, 1)), init('b', f32(4))]
    case('concat_conv_fused', cat, parts, ['y'], cat_weights)
    case('concat_conv_unfused', cat, parts, ['y', 'k'], cat_weights)
    # One concatenation read by two 1x1 convs (YOLOX's CSP layers): both fused; with a 3x3 reader, neither.
    two = [node('Concat', ['p0', 'p1', 'p2'], ['k'], axis=1), node('Conv', ['k', 'w', 'b'], ['c'], kernel_shape=[1, 1]),
           node('Sigmoid', ['c'], ['s']), node('Mul', ['c', 's'], ['y']),
           node('Conv', ['k', 'w2', 'b2'], ['z'], kernel_shape=[1, 1])]
    two_weights = [init('w', f32(4, 6, 1, 1)), init('b', f32(4)), init('w2', f32(3, 6, 1, 1)), init('b2', f32(3))]
    case('concat_two_convs', two, parts, ['y', 'z'], two_weights)
    mixed = two[:4] + [node('Conv', ['k', 'w3', 'b2'], ['z'], kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
    case('concat_conv_and_3x3', mixed, parts, ['y', 'z'], two_weights[:2] + [init('w3', f32(3, 6, 3, 3)), two_weights[3]])


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.onnx') or f == 'cases.json':
            os.remove(os.path.join(OUT, f))
    elementwise()
    convs()
    pools_resize_softmax()
    layout()
    quantized()
    error_models()
    concat_conv()
    with open(os.path.join(OUT, 'cases.json'), 'w') as fh:
        json.dump({'onnxruntime': ort.__version__, 'onnx': onnx.__version__, 'cases': CASES, 'errors': ERRORS}, fh, separators=(',', ':'))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'{len(CASES)} cases, {total} bytes in {OUT}', file=sys.stderr)


if __name__ == '__main__':
    main()
