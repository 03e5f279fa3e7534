module attributes {helix.layout = #helix.layout<kvp = 2, tpa = 2, tpf = 2, ep = 1, microbatches = 1, kv_block = 16>} {}
