import Foundation

/// A size-bucketed pool of Float buffers.
///
/// Training allocates tensors of the same handful of sizes every step; the pool hands freed
/// buffers back out instead of going to `malloc` each time. Buckets are size classes, eight per
/// power of two (16, 18, 20, …, 30, 32, 36, 40, …): a buffer is at most 12.5 % larger than asked
/// for, where power-of-two buckets wasted up to half of it. The pool keeps at most `byteLimit`
/// bytes of idle buffers and frees the rest.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool(byteLimit: 3 << 30)

    private var idle: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var idleBytes = 0
    /// Bytes of every buffer the pool has allocated and not freed (live + idle), and their peak.
    private var heldBytes = 0
    private var peakHeldBytes = 0
    private let byteLimit: Int
    private let lock = NSLock()

    init(byteLimit: Int) { self.byteLimit = byteLimit }

    /// Size classes per power of two.
    static let classesPerOctave = 8

    /// The capacity of the size class `count` Floats fall in: `count` rounded up to a multiple of
    /// 1/8 of the power of two at or below it (at least 16).
    static func bucket(for count: Int) -> Int {
        if count <= 16 { return 16 }
        let octave = Int.bitWidth - 1 - (count - 1).leadingZeroBitCount  // 2^octave ≤ count − 1 < 2^(octave+1)
        let step = max(1, (1 << octave) / classesPerOctave)
        return (count + step - 1) / step * step
    }

    func take(count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let capacity = BufferPool.bucket(for: count)
        lock.lock()
        if var list = idle[capacity], let pointer = list.popLast() {
            idle[capacity] = list
            idleBytes -= capacity * 4
            lock.unlock()
            return (pointer, capacity)
        }
        heldBytes += capacity * 4
        peakHeldBytes = max(peakHeldBytes, heldBytes)
        lock.unlock()
        return (UnsafeMutablePointer<Float>.allocate(capacity: capacity), capacity)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        if idleBytes + capacity * 4 <= byteLimit {
            idle[capacity, default: []].append(pointer)
            idleBytes += capacity * 4
            lock.unlock()
        } else {
            heldBytes -= capacity * 4
            lock.unlock()
            pointer.deallocate()
        }
    }

    /// Frees every idle buffer (used by memory tests and at the end of long runs).
    func drain() {
        lock.lock()
        for (_, list) in idle { for pointer in list { pointer.deallocate() } }
        idle = [:]
        heldBytes -= idleBytes
        idleBytes = 0
        lock.unlock()
    }

    var idleByteCount: Int { lock.lock(); defer { lock.unlock() }; return idleBytes }
    var peakHeldByteCount: Int { lock.lock(); defer { lock.unlock() }; return peakHeldBytes }
}

/// The memory behind a tensor: `count` Floats from the pool, returned to it on release.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let capacity: Int

    nonisolated(unsafe) static var liveBytes = 0
    /// The most `liveBytes` has been.
    nonisolated(unsafe) static var peakLiveBytes = 0
    private static let counterLock = NSLock()

    init(count: Int) {
        (pointer, capacity) = BufferPool.shared.take(count: count)
        self.count = count
        TensorStorage.counterLock.lock(); TensorStorage.liveBytes += capacity * 4
        TensorStorage.peakLiveBytes = max(TensorStorage.peakLiveBytes, TensorStorage.liveBytes)
        TensorStorage.counterLock.unlock()
    }

    deinit {
        TensorStorage.counterLock.lock(); TensorStorage.liveBytes -= capacity * 4; TensorStorage.counterLock.unlock()
        BufferPool.shared.give(pointer, capacity: capacity)
    }
}

/// Memory figures for tests and benchmarks.
public enum TensorMemory {
    /// Bytes held by live tensors right now.
    public static var liveBytes: Int { TensorStorage.liveBytes }
    /// Bytes of idle buffers kept in the pool.
    public static var pooledBytes: Int { BufferPool.shared.idleByteCount }
    /// The most bytes live tensors have held at once since the process started.
    public static var peakLiveBytes: Int { TensorStorage.peakLiveBytes }
    /// The most bytes live tensors and the pool's idle buffers have held at once (what the
    /// process's peak resident memory owes to tensors; above `peakLiveBytes` by what the pool kept
    /// idle at that moment).
    public static var peakFootprint: Int { BufferPool.shared.peakHeldByteCount }
    /// Returns every idle pooled buffer to the system.
    public static func drainPool() { BufferPool.shared.drain() }
}
