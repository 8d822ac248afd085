import TandemCore
import TandemModels

extension Registry {
    static var builtInModels: [ModelEntry] {
        [
            splitModel(name: "splitvgg", summary: "SplitVGG-x: VGG-16-topology encoder at half width and a mirrored up-sampling decoder; the last x decoder blocks are per task (7.37 M parameters at width 1, one head).",
                       reference: "TMT paper supplement; docs/models.md",
                       extraOptions: [OptionSpec("blocks", .integer(1...5), default: .integer(5),
                                                 "encoder and decoder blocks kept (5 = the paper's model; fewer keep a spatial bottleneck on small images)")]) { options, split, heads, width, channels in
                SplitVGG(split: split, heads: heads, width: width, inputChannels: channels, blocks: options.integer("blocks")!)
            },
            splitModel(name: "splitres", summary: "SplitRes-x: ResNet-18-topology encoder (32…256 channels) and an up-sampling decoder; the last x decoder blocks are per task (5.75 M parameters at width 1, one head).",
                       reference: "TMT paper supplement; docs/models.md") { _, split, heads, width, channels in
                SplitRes(split: split, heads: heads, width: width, inputChannels: channels)
            },
            segNetModel(name: "segnet", details: { segNetCounts([("", SegNet(heads: nyuv2Heads))]) }, summary: "SegNet with hard sharing as the MTAN / Nash-MTL / FAMO code builds it for NYUv2: the encoder–decoder (max-pooling indices, unpooling) shared, a conv3×3–conv1×1 head per task (25,055,185 parameters at width 1 for the NYUv2 triple).",
                        reference: "Badrinarayanan et al., TPAMI 2017; the MTAN code's SegNet (Nash-MTL experiments/nyuv2/models.py); docs/models.md") { options, heads, width, channels in
                SegNet(heads: heads, width: width, inputChannels: channels)
            },
            segNetModel(name: "segnet-mtan", details: {
                segNetCounts([("attention: shared (the reference's shared_parameters())", SegNetMTAN(heads: nyuv2Heads)),
                              ("attention: per_task", SegNetMTAN(heads: nyuv2Heads, attention: .perTask))])
            }, summary: "SegNet-MTAN as the MTAN / Nash-MTL / FAMO code builds it for NYUv2: the SegNet trunk shared and per task a chain of soft-attention masks over its features (44,229,073 parameters at width 1 for the NYUv2 triple).",
                        reference: "Liu, Johns, Davison, CVPR 2019 (MTAN); Nash-MTL experiments/nyuv2/models.py; docs/models.md",
                        extraOptions: [OptionSpec("attention", .choice(SegNetMTAN.AttentionParameters.allCases.map(\.rawValue)), default: .text("shared"),
                                                  "where the per-task attention masks' parameters belong: shared (the reference's shared_parameters(): every parameter outside the prediction heads) or per_task (each task's masks in its head group; the trunk and the attention blocks the tasks share stay shared)")]) { options, heads, width, channels in
                SegNetMTAN(heads: heads, width: width, inputChannels: channels, attention: SegNetMTAN.AttentionParameters(rawValue: options.text("attention")!)!)
            },
            ModelEntry(description: ComponentDescription(
                name: "resnet", kind: .model,
                summary: "ResNet with basic blocks in torchvision's topology as LibMTL's resnet18 builds it (the encoder of its architectures), a global-average-pool → linear head per task (11,176,512 encoder parameters at width 1, ResNet-18).",
                reference: "He et al., CVPR 2016; LibMTL LibMTL/model/resnet.py",
                options: [
                    OptionSpec("width", .number(0.01...4), default: .number(1), "channel multiplier (1 = 64, 128, 256, 512 channels)"),
                    OptionSpec("blocks", .list(.integer(1...64)), default: .list([.integer(2), .integer(2), .integer(2), .integer(2)]),
                               "basic blocks in each of the four stages ([2, 2, 2, 2] ResNet-18, [3, 4, 6, 3] ResNet-34)"),
                ])) { options, tasks, inputShape in
                let blocks = options.list("blocks")!.compactMap { if case let .integer(v) = $0 { return v } else { return nil } }
                guard blocks.count == 4 else { throw CommandError("resnet.blocks must list four stages, found \(blocks)") }
                guard inputShape.count == 3 else { throw CommandError("resnet needs C×H×W images, the dataset gives \(inputShape)") }
                return ResNet(heads: try tasks.map { task in
                    switch task.kind {
                    case .classification, .regression: return (task: task.name, outputs: task.kind.outputChannels)
                    case .segmentation, .depth, .normals:
                        throw CommandError("resnet predicts one vector per image; task \(task.name) is a per-pixel task (as an architecture's encoder use splitres)")
                    }
                }, blocks: blocks, width: options.number("width")!, inputChannels: inputShape[0])
            },
            ModelEntry(description: ComponentDescription(
                name: "multilenet", kind: .model,
                summary: "MultiLeNet for MultiMNIST: two conv–pool–ReLU layers and a 50-unit linear layer shared; per task linear 50→50→classes.",
                reference: "Sener & Koltun, NeurIPS 2018")) { _, tasks, inputShape in
                guard inputShape.count == 3, inputShape[0] == 1, inputShape[1] == inputShape[2] else {
                    throw CommandError("multilenet needs 1×S×S inputs (28×28 or 36×36), the dataset gives \(inputShape)")
                }
                return MultiLeNet(inputSide: inputShape[1], heads: try tasks.map { task in
                    guard case let .classification(classes) = task.kind else {
                        throw CommandError("multilenet predicts classes; task \(task.name) is not a classification task")
                    }
                    return (task: task.name, classes: classes)
                })
            },
            ModelEntry(description: ComponentDescription(
                name: "vgg16", kind: .model,
                summary: "VGG-16 with hard sharing for multi-domain classification (CIFAR-100 domains): the 13 conv3×3–batch-norm–ReLU layers shared, global average pooling, one linear head per task (14.72 M shared parameters at width 1).",
                reference: "Auto-λ (Liu et al., TMLR 2022) and IAL (Li et al., 2024) CIFAR-100 setting; docs/models.md",
                options: [
                    OptionSpec("width", .number(0.01...4), default: .number(1), "channel multiplier (1 = VGG-16's 64…512 channels; 0.125 for quick runs)"),
                ])) { options, tasks, inputShape in
                guard inputShape.count == 3, inputShape[1] % 16 == 0, inputShape[2] % 16 == 0, inputShape[1] > 0, inputShape[2] > 0 else {
                    throw CommandError("vgg16 needs C×H×W inputs with H and W divisible by 16 (CIFAR's 3×32×32), the dataset gives \(inputShape)")
                }
                return VGG16Classifier(heads: try tasks.map { task in
                    guard case let .classification(classes) = task.kind else {
                        throw CommandError("vgg16 predicts one class per image; task \(task.name) is not a classification task")
                    }
                    return (task: task.name, classes: classes)
                }, width: options.number("width")!, inputChannels: inputShape[0])
            },
            ModelEntry(description: ComponentDescription(
                name: "mlp", kind: .model,
                summary: "Multi-layer perceptron: shared Linear–ReLU trunk, one Linear stack per task (inputs flattened).",
                reference: "—",
                options: [
                    OptionSpec("shared_widths", .list(.integer(1...65_536)), default: .list([.integer(64), .integer(64)]), "widths of the shared hidden layers"),
                    OptionSpec("head_widths", .list(.integer(1...65_536)), default: .list([.integer(32)]), "hidden widths of each head (the output layer is added per task)"),
                ])) { options, tasks, inputShape in
                for task in tasks {
                    switch task.kind {
                    case .classification, .regression: continue
                    case .segmentation, .depth, .normals:
                        throw CommandError("mlp predicts one vector per sample; task \(task.name) is a per-pixel task (use splitvgg or splitres)")
                    }
                }
                let shared = options.list("shared_widths")!.compactMap { if case let .integer(v) = $0 { return v } else { return nil } }
                let head = options.list("head_widths")!.compactMap { if case let .integer(v) = $0 { return v } else { return nil } }
                return MLP(inputSize: inputShape.reduce(1, *), sharedWidths: shared,
                           heads: tasks.map { (task: $0.name, widths: head + [$0.kind.outputChannels]) })
            },
        ]
    }

    /// A SegNet model's entry: `width` and any `extraOptions`; dense tasks only, inputs with H and
    /// W multiples of 32.
    static func segNetModel(name: String, details: @escaping () -> String, summary: String, reference: String, extraOptions: [OptionSpec] = [],
                            make: @escaping (Options, [DenseTaskHead], Double, Int) -> any MultiTaskModel) -> ModelEntry {
        ModelEntry(description: ComponentDescription(
            name: name, kind: .model, summary: summary, reference: reference,
            options: [OptionSpec("width", .number(0.01...4), default: .number(1), "channel multiplier (1 = the reference's 64, 128, 256, 512, 512 channels)")] + extraOptions),
                   details: details) { options, tasks, inputShape in
            guard inputShape.count == 3, inputShape[1] % 32 == 0, inputShape[2] % 32 == 0, inputShape[1] > 0, inputShape[2] > 0 else {
                throw CommandError("\(name) needs C×H×W inputs with H and W divisible by 32 (five 2×2 poolings; NYUv2's 3×288×384), the dataset gives \(inputShape)")
            }
            let heads = try tasks.map { task -> DenseTaskHead in
                guard let head = DenseTaskHead(task: task.name, kind: task.kind) else {
                    throw CommandError("\(name) predicts per-pixel outputs; task \(task.name) is not a dense task")
                }
                return head
            }
            return make(options, heads, options.number("width")!, inputShape[0])
        }
    }

    /// The NYUv2 task triple of the SegNet papers: 13-class segmentation, depth, unit normals.
    static var nyuv2Heads: [DenseTaskHead] {
        [DenseTaskHead(task: "segmentation", channels: 13), DenseTaskHead(task: "depth", channels: 1),
         DenseTaskHead(task: "normals", channels: 3, output: .unitNormalised)]
    }

    /// Exact parameter counts of SegNet models at the paper's configuration (width 1, the NYUv2
    /// triple; the counts do not depend on the 288×384 input), one block per labelled variant.
    static func segNetCounts(_ variants: [(label: String, model: any MultiTaskModel)]) -> String {
        var lines = ["  parameters at the paper's configuration (3×288×384 input; segmentation 13, depth 1, normals 3 channels; width 1):"]
        for (label, model) in variants {
            let counts = model.parameterCounts()
            let heads = model.taskNames.map { "\($0) \(grouped(counts.heads[$0]!))" }.joined(separator: ", ")
            lines.append("    \(label.isEmpty ? "" : label + ": ")total \(grouped(counts.total)), shared \(grouped(counts.shared)), heads \(heads)")
        }
        return lines.joined(separator: "\n")
    }

    /// 44229073 → "44,229,073".
    static func grouped(_ value: Int) -> String {
        var digits = Array(String(value)), result = ""
        while digits.count > 3 { result = "," + String(digits.suffix(3)) + result; digits.removeLast(3) }
        return String(digits) + result
    }

    /// A split model's entry: `split`, `width` and any `extraOptions` (a `blocks` option sets how
    /// many down-samplings the model has, 5 without one).
    static func splitModel(name: String, summary: String, reference: String, extraOptions: [OptionSpec] = [],
                           make: @escaping (Options, Int, [DenseTaskHead], Double, Int) -> any MultiTaskModel) -> ModelEntry {
        ModelEntry(description: ComponentDescription(
            name: name, kind: .model, summary: summary, reference: reference,
            options: [
                OptionSpec("split", .integer(1...5), default: .integer(3), "x: how many decoder blocks (from the end) are per task"),
                OptionSpec("width", .number(0.01...4), default: .number(1), "channel multiplier (0.25 for quick runs)"),
            ] + extraOptions)) { options, tasks, inputShape in
            let blocks = options.integer("blocks") ?? 5
            guard options.integer("split")! <= blocks else {
                throw CommandError("\(name): split \(options.integer("split")!) needs at least as many blocks, the recipe has blocks: \(blocks)")
            }
            let multiple = 1 << blocks
            guard inputShape.count == 3, inputShape[1] % multiple == 0, inputShape[2] % multiple == 0 else {
                throw CommandError("\(name) with \(blocks) blocks needs C×H×W inputs with H and W divisible by \(multiple), the dataset gives \(inputShape)")
            }
            // Normals heads end unit-normalised (as in MTAN); other dense heads are raw.
            let heads = try tasks.map { task -> DenseTaskHead in
                guard let head = DenseTaskHead(task: task.name, kind: task.kind) else {
                    throw CommandError("\(name) predicts per-pixel outputs; task \(task.name) is not a dense task")
                }
                return head
            }
            return make(options, options.integer("split")!, heads, options.number("width")!, inputShape[0])
        }
    }
}
