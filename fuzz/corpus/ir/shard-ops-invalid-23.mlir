shard.grid @g(shape = 2)
func.func @start_yield(%x: tensor<?x8xf32>) {
  %r = helix.collective_start {
    %a = shard.all_reduce %x on @g grid_axes = [0] : tensor<?x8xf32> -> tensor<?x8xf32>
    helix.yield %x : tensor<?x8xf32>
  } : !helix.request<tensor<?x8xf32>>
  return
}
