shard.grid @g(shape = 2)
func.func @start_type(%x: tensor<?x8xf32>) {
  %r = helix.collective_start {
    %a = shard.all_reduce %x on @g grid_axes = [0] : tensor<?x8xf32> -> tensor<?x8xf32>
    helix.yield %a : tensor<?x8xf32>
  } : !helix.request<tensor<?x4xf32>>
  return
}
