// A Qwen3-MoE-shaped block at a reduced hidden size: 128 experts, top-8 with
// renormalized softmax weights, gated SiLU experts, bf16, any token count.
// `moe-opt --moe-decompose` expands it into the primitive moe ops.
func.func @qwen3_moe_block(%x: tensor<?x256xbf16>, %router: tensor<256x128xbf16>,
                           %w_gate_up: tensor<128x256x256xbf16>,
                           %w_down: tensor<128x128x256xbf16>) -> tensor<?x256xbf16> {
  %out = moe.layer %x, %router, %w_gate_up, %w_down top_k(8) renormalize activation<silu> gated
      : tensor<?x256xbf16>, tensor<256x128xbf16>, tensor<128x256x256xbf16>, tensor<128x128x256xbf16>
  return %out : tensor<?x256xbf16>
}
