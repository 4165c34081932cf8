/**
 * The WebAssembly hasher: loads our kernel (`@orchard/wasm`, SIMD build where the engine validates
 * it, scalar otherwise) and drives it. Inputs are written once into the kernel's memory above its
 * arena and each batch is a single call; digests are read back with one copy per batch.
 */
import { compileKernel } from '@orchard/wasm'
import type { AppendResult, Hasher, TreeNode } from './types.ts'

interface KernelExports {
  memory: WebAssembly.Memory
  arena(): number
  lanes(): number
  blake2b(p: number, len: number, key: number, keyLen: number, outLen: number, out: number): void
  init(s: number, outLen: number, key: number, keyLen: number): void
  update(s: number, p: number, len: number): void
  final(s: number, out: number): void
  leaves(table: number, n: number, work: number, out: number): void
  parents(recs: number, n: number, work: number, out: number): void
  tree(recs: number, n: number, out: number): void
  append(
    rootsIn: number,
    rootCount: number,
    table: number,
    n: number,
    work: number,
    nodesOut: number,
    rootsOut: number
  ): number
  appendRoots(): number
}

const PAGE = 65536
const TWO_32 = 2 ** 32
/** Inputs larger than this are streamed through the kernel in chunks of this size. */
const CHUNK = 4 * 1024 * 1024
const DESC = 48
const NODE = 48

const align8 = (n: number) => (n + 7) & ~7

/**
 * Splits a batch into consecutive groups of at most CHUNK bytes of block data (a larger block gets
 * a group of its own), so a huge batch never needs more kernel memory than its largest block.
 */
function groups(blocks: readonly Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = []
  let group: Uint8Array[] = []
  let size = 0
  for (const block of blocks) {
    if (group.length > 0 && size + block.byteLength > CHUNK) {
      out.push(group)
      group = []
      size = 0
    }
    group.push(block)
    size += block.byteLength
  }
  if (group.length > 0) out.push(group)
  return out
}

class Kernel implements Hasher {
  readonly name = 'wasm' as const
  readonly lanes: number
  private readonly k: KernelExports
  private readonly base: number
  private u8: Uint8Array
  private u32: Uint32Array

  constructor(exports: KernelExports) {
    this.k = exports
    this.base = exports.arena()
    this.lanes = exports.lanes()
    this.u8 = new Uint8Array(exports.memory.buffer)
    this.u32 = new Uint32Array(exports.memory.buffer)
  }

  /** Makes [arena, arena + bytes) addressable and refreshes the views if the memory grew. */
  private reserve(bytes: number): void {
    const need = this.base + bytes
    const mem = this.k.memory
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE))
    if (this.u8.buffer !== mem.buffer) {
      this.u8 = new Uint8Array(mem.buffer)
      this.u32 = new Uint32Array(mem.buffer)
    }
  }

  /** The digest at [at, at + len): copied into `out` if given, else into a new array. */
  private emit(at: number, len: number, out: Uint8Array | undefined): Uint8Array {
    if (!out) return this.u8.slice(at, at + len)
    out.set(this.u8.subarray(at, at + len))
    return out
  }

  blake2b(data: Uint8Array, outLen: number, key: Uint8Array | undefined, out?: Uint8Array): Uint8Array {
    if (data.byteLength > CHUNK) return this.blake2bBatch([data], outLen, key, out)
    const b = this.base
    this.reserve(128 + data.byteLength)
    const keyLen = key ? key.byteLength : 0
    if (key) this.u8.set(key, b)
    this.u8.set(data, b + 128)
    this.k.blake2b(b + 128, data.byteLength, b, keyLen, outLen, b + 64)
    return this.emit(b + 64, outLen, out)
  }

  blake2bBatch(
    parts: readonly Uint8Array[],
    outLen: number,
    key: Uint8Array | undefined,
    out?: Uint8Array
  ): Uint8Array {
    // state 256 | key 64 | out 64 | staging (≤ CHUNK): parts are gathered and absorbed per chunk.
    const b = this.base
    const s = b
    const stage = b + 384
    let total = 0
    for (const p of parts) total += p.byteLength
    this.reserve(384 + Math.min(total, CHUNK))
    const keyLen = key ? key.byteLength : 0
    if (key) this.u8.set(key, b + 256)
    this.k.init(s, outLen, b + 256, keyLen)
    let fill = 0
    for (const part of parts) {
      let off = 0
      while (off < part.byteLength) {
        const n = Math.min(part.byteLength - off, CHUNK - fill)
        this.u8.set(n === part.byteLength ? part : part.subarray(off, off + n), stage + fill)
        fill += n
        off += n
        if (fill === CHUNK) {
          this.k.update(s, stage, fill)
          fill = 0
        }
      }
    }
    this.k.update(s, stage, fill)
    this.k.final(s, b + 320)
    return this.emit(b + 320, outLen, out)
  }

  // Single hashes skip the batch bookkeeping (arrays in, views out): one write, one call, one slice.
  data(block: Uint8Array, out?: Uint8Array): Uint8Array {
    const table = this.base // table 8 | work 48 | out 32 | data
    this.reserve(88 + block.byteLength)
    this.u8.set(block, table + 88)
    this.u32[table >> 2] = table + 88
    this.u32[(table >> 2) + 1] = block.byteLength
    this.k.leaves(table, 1, table + 8, table + 56)
    return this.emit(table + 56, 32, out)
  }

  parent(a: TreeNode, b: TreeNode, out?: Uint8Array): Uint8Array {
    const rec = this.base // rec 72 | work 16 | out 32
    this.reserve(120)
    this.putU64(rec, a.size + b.size)
    this.u8.set(a.hash, rec + 8)
    this.u8.set(b.hash, rec + 40)
    this.k.parents(rec, 1, rec + 72, rec + 88)
    return this.emit(rec + 88, 32, out)
  }

  tree(roots: readonly TreeNode[], out?: Uint8Array): Uint8Array {
    const b = this.base
    const n = roots.length
    this.reserve(64 + 48 * n)
    const u8 = this.u8
    for (let i = 0; i < n; i++) {
      const r = roots[i]!
      const off = b + 64 + 48 * i
      u8.set(r.hash, off)
      this.putU64(off + 32, r.index)
      this.putU64(off + 40, r.size)
    }
    this.k.tree(b + 64, n, b)
    return this.emit(b, 32, out)
  }

  hashLeaves(blocks: readonly Uint8Array[]): Uint8Array[] {
    const n = blocks.length
    let total = 0
    for (let i = 0; i < n; i++) total += blocks[i]!.byteLength
    if (total > CHUNK && n > 1) return groups(blocks).flatMap((g) => this.hashLeaves(g))
    // table 8n | work 48n | out 32n | data
    const table = this.base
    const work = table + 8 * n
    const out = work + DESC * n
    const dataStart = out + 32 * n
    this.reserve(dataStart - this.base + total)
    const u8 = this.u8
    const u32 = this.u32
    let p = dataStart
    for (let i = 0; i < n; i++) {
      const block = blocks[i]!
      u8.set(block, p)
      u32[(table >> 2) + 2 * i] = p
      u32[(table >> 2) + 2 * i + 1] = block.byteLength
      p += block.byteLength
    }
    this.k.leaves(table, n, work, out)
    return this.split(out, n)
  }

  hashParents(pairs: readonly (readonly [TreeNode, TreeNode])[]): Uint8Array[] {
    const n = pairs.length
    // recs 72n | work 16n | out 32n
    const recs = this.base
    const work = recs + 72 * n
    const out = work + 16 * n
    this.reserve(out - this.base + 32 * n)
    const u8 = this.u8
    for (let i = 0; i < n; i++) {
      const pair = pairs[i]!
      const swap = pair[0].index > pair[1].index
      const l = swap ? pair[1] : pair[0]
      const r = swap ? pair[0] : pair[1]
      const rec = recs + 72 * i
      this.putU64(rec, l.size + r.size)
      u8.set(l.hash, rec + 8)
      u8.set(r.hash, rec + 40)
    }
    this.k.parents(recs, n, work, out)
    return this.split(out, n)
  }

  appendTree(roots: readonly TreeNode[], length: number, blocks: readonly Uint8Array[]): AppendResult {
    const n = blocks.length
    const rc = roots.length
    const maxNodes = rc + 2 * n
    let total = 0
    for (let i = 0; i < n; i++) total += blocks[i]!.byteLength
    if (total > CHUNK && n > 1) {
      // Bounded memory: append group by group, each starting from the roots the last one left.
      const nodes: TreeNode[] = []
      let current: readonly TreeNode[] = roots
      for (const group of groups(blocks)) {
        const step = this.appendTree(current, length, group)
        for (const node of step.nodes) nodes.push(node)
        current = step.roots
        length += group.length
      }
      return { nodes, roots: current as TreeNode[] }
    }
    // rootsIn 48rc | rootsOut 48·64 | nodes 48·maxNodes | table 8n | work | data
    const rootsIn = this.base
    const rootsOut = rootsIn + NODE * rc
    const nodes = rootsOut + NODE * 64
    const table = nodes + NODE * maxNodes
    const work = table + 8 * n
    const dataStart = align8(work + 512 + 8 * maxNodes + DESC * maxNodes)
    this.reserve(dataStart - this.base + total)
    const u8 = this.u8
    const u32 = this.u32
    for (let i = 0; i < rc; i++) {
      const r = roots[i]!
      const off = rootsIn + NODE * i
      this.putU64(off, r.index)
      this.putU64(off + 8, r.size)
      u8.set(r.hash, off + 16)
    }
    let p = dataStart
    for (let i = 0; i < n; i++) {
      const block = blocks[i]!
      u8.set(block, p)
      u32[(table >> 2) + 2 * i] = p
      u32[(table >> 2) + 2 * i + 1] = block.byteLength
      p += block.byteLength
    }
    const count = this.k.append(rootsIn, rc, table, n, work, nodes, rootsOut)
    const newRoots = this.k.appendRoots()
    return { nodes: this.readNodes(nodes, count), roots: this.readNodes(rootsOut, newRoots) }
  }

  /** Writes n (< 2^53) as u64 LE at an 8-byte-aligned address. */
  private putU64(addr: number, n: number): void {
    const lo = n % TWO_32
    this.u32[addr >> 2] = lo
    this.u32[(addr >> 2) + 1] = (n - lo) / TWO_32
  }

  private getU64(addr: number): number {
    return this.u32[addr >> 2]! + this.u32[(addr >> 2) + 1]! * TWO_32
  }

  /** n digests at `out`, copied out of the kernel in one slice and handed out as views. */
  private split(out: number, n: number): Uint8Array[] {
    const all = this.u8.slice(out, out + 32 * n)
    const list: Uint8Array[] = new Array(n)
    for (let i = 0; i < n; i++) list[i] = all.subarray(32 * i, 32 * i + 32)
    return list
  }

  private readNodes(at: number, count: number): TreeNode[] {
    const hashes = this.u8.slice(at, at + NODE * count)
    const nodes: TreeNode[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const off = at + NODE * i
      nodes[i] = {
        index: this.getU64(off),
        size: this.getU64(off + 8),
        hash: hashes.subarray(NODE * i + 16, NODE * i + 48)
      }
    }
    return nodes
  }
}

/** Which kernel build to load: by default SIMD where this engine validates it, else scalar. */
export interface KernelOptions {
  build?: 'simd' | 'scalar'
}

/** Compiles and instantiates the kernel (it imports nothing); the hasher and the ciphers share it. */
export async function instantiateKernel(opts: KernelOptions = {}): Promise<WebAssembly.Instance> {
  const module = await compileKernel(opts.build)
  return WebAssembly.instantiate(module, {})
}

/** The hasher over an instantiated kernel. */
export function kernelHasher(instance: WebAssembly.Instance): Hasher & { lanes: number } {
  return new Kernel(instance.exports as unknown as KernelExports)
}

/**
 * Instantiates the kernel and returns its hasher: the SIMD build where this engine validates it
 * (unless `build` says otherwise), else the scalar build. Both give identical results; tests run both.
 */
export async function loadKernel(opts: KernelOptions = {}): Promise<Hasher & { lanes: number }> {
  return kernelHasher(await instantiateKernel(opts))
}
