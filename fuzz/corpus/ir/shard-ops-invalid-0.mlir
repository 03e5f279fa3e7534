module attributes {helix.layout = #helix.layout<kvp = 0, tpa = 1, tpf = 1, ep = 1, microbatches = 1, kv_block = 16>} {}
