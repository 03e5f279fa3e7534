func.func private @shards(!helix.kv_cache<layers = 1, kv_heads = 1, head_dim = 8, element_type = f32, token_shards = 0, block = 16>)
