/// A binary min-heap: timers of the engine and checks of the feeds. Elements order by `<`.
public struct MinHeap<Element: Comparable & Sendable>: Sendable {
    @usableFromInline var elements: [Element] = []

    public init() {}

    /// Number of elements.
    @inlinable public var count: Int { elements.count }
    @inlinable public var isEmpty: Bool { elements.isEmpty }
    /// The smallest element.
    @inlinable public var first: Element? { elements.first }

    @inlinable public mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element when `isDue` says so.
    @inlinable public mutating func pop(if isDue: (Element) -> Bool) -> Element? {
        guard let top = elements.first, isDue(top) else { return nil }
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            siftDown(0)
        }
        return top
    }

    /// Replaces the contents (O(n)).
    @inlinable public mutating func rebuild(from newElements: [Element]) {
        elements = newElements
        var index = elements.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    @inlinable mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < elements.count else { return }
            var smallest = left
            if left + 1 < elements.count, elements[left + 1] < elements[left] { smallest = left + 1 }
            guard elements[smallest] < elements[parent] else { return }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
