"""The course slides' numbers: one table, keyed by the row ids of ``slides/CHECKLIST.md``.

Every number a notebook cites from the slides comes from here, never typed again in the
notebook: ``slides.value("D2-18")`` is the slide's value exactly as the slide prints it,
``slides.quote("D2-18")`` a short translated quote. ``check`` compares a computed value with
the slide's; where the slide errs, the row holds the correct value and the reason, and
``check_correction`` shows both. ``cite`` is for published results that no lab can recompute
(ImageNet records, best accuracies on a data set): they are quoted, never "checked".

Decks: D0 = 000 (image features), D1 = 001 (cs231n notes), D2 = 002 (main slides),
D3 = 003 (CNN introduction), D4 = 004 (seminar). ``lab`` is the lab the checklist assigns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .checks import check_close

__all__ = ["Row", "ROWS", "row", "value", "quote", "check", "check_correction", "cite", "rows_of"]


@dataclass(frozen=True)
class Row:
    """One number (or worked example) of the slides."""
    id: str
    lab: str                 # "01".."07", or "none"
    quote: str               # short translation of what the slide says
    value: Any               # the slide's value, as printed (a dict when the row has parts)
    correct: Any = None      # the right value, where the slide's is wrong
    why: str = ""            # why the slide's value is wrong
    published: bool = False  # a published result the labs cannot recompute (cite, do not check)

    @property
    def deck(self) -> str:
        return {"D0": "000", "D1": "001", "D2": "002", "D3": "003", "D4": "004"}[self.id[:2]]


def _pixels(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.replace(",", " ").split())


# Deck 002, "computer image basics": the excerpt of each channel as the slide prints it.
_RED = _pixels("""153 151 151 152 153 152 153 153 153 153 153 149 150 151 162 171 157 136 150 145 114
104 101 98 104 111 121 123 126 125 123 111 114 115 105 106 102 96 102 98 100 106 102 94 91 91 84 77 80
91 98 100 95 95 100 108 110 106 107 90 80 74 71 74 63 70 92 94 90 101 115 109 79 67 83 91 74 60 69 80
93 88 70 69 75 84 81 77 72 61 62 74 68 63 81 77 77 120 152 150 144 143 145 145 146 148 148 147 146 145
144 144 145 146 144 144 146 146 144 144 144 145 147 146 143 144 144 144 143 144 144 143 142 141 142 143
144 143 142 143 144 145 145 144 142 142 143 142 143 142 140 141 144 143 142 141 142 140 140 142 141 139
139 140 139 139 141 141 139 137 138 139 140 140 140 139 139 140 139 139 139 140 139 140 140 139 138 138
138 139 138 137 138 137 137 138 137 138 138 137 136 136 135 134 136 137 138 139 138 138 136 137 137 137
137 136 136 136 136 136 138 137 135 135 136 136 135 137 135 135 134""")
_GREEN = _pixels("""156 154 152 151 152 153 153 153 152 153 152 151 152 152 150 152 153 152 151 152 153
152 151 152 152 154 154 152 150 152 154 155 156 156 153 152 152 151 153 152 150 150 151 153 153 152 153
154 154 153 152 151 151 152 151 151 152 152 153 152 150 151 152 150 148 151 159 172 172 160 136 140 152
130 114 103 91 106 120 126 125 103 126 118 95 113 113 92 89 94 91 92 85 84 92 98 104 98 73 63 75 71 78
85 82 88 86 77 79 93 96 94 84 81 85 86 79 70 82 86 78 90 106 103 90 86 86 76 75 84 86 83 75 81 92 85 66
70 82 68 69 69 65 71 74 82 85 75 67 100 148 154 146 145 144 144 144 144 144 144 144 143 143 144 145 145
144 143 144 144 145 145 144 143 144 145 145 143 142 144 143 143 146 143 143 143 142 143 144 143 142 141
140 141 142 144 143 140 140 141 141 141 142 141 141 143 142 141 140 140 141 141 141 139 139 140 141 140
141 140 140 138 137 138 139 140 139 138 140 140 139 139 140 139 139 139 138 139 138 136 138 139 138 138
136 135 135 136 137 136 136 136 136 135 135 134 136 137""")
_BLUE = _pixels("""155 156 156 155 155 154 154 155 155 156 154 153 150 155 170 177 151 134 154 164 151
119 118 143 141 123 131 132 131 137 112 110 123 85 90 104 95 98 98 91 89 91 99 100 83 83 98 96 98 111 112
104 101 86 75 80 85 92 92 91 92 83 94 117 102 61 70 82 63 88 94 75 99 116 106 89 80 82 84 80 93 97 74 75
80 84 103 86 70 66 59 57 73 88 68 60 70 76 68 93 152 164 148 146 149 150 149 149 148 147 146 146 149 149
147 146 146 148 149 148 149 148 146 147 146 145 146 148 147 147 147 147 147 146 146 146 145 144 145 144
144 144 146 145 144 144 144 143 144 145 145 144 144 145 147 148 147 146 144 143 142 141 142 144 145 143
142 141 142 143 142 143 144 144 145 144 143 142 141 142 142 141 140 140 142 141 140 141 141 140 141 141
140 139 140 141 140 141 141 142 141 139 140 139 138 139 139 140 142 141 140 138 137 138 140 141 140 139
138 137 139""")

_MAGIC5 = ((17, 24, 1, 8, 15), (23, 5, 7, 14, 16), (4, 6, 13, 20, 22), (10, 12, 19, 21, 3), (11, 18, 25, 2, 9))
_MAGIC3 = ((8, 1, 6), (3, 5, 7), (4, 9, 2))
_CIFAR100_COLUMNS = ("SGD none", "SGD BatchNorm", "SGD Dropout", "Adam none", "Adam BatchNorm", "Adam Dropout")
_GAUSS1 = math.erf(1 / math.sqrt(2))

_TABLE = [
    # ---- deck 002, the main slides -------------------------------------------------------
    Row("D2-01", "01", "Computer image basics: a photo = red + green + blue channel, each an array of numbers "
        "(153, 151, 151, 152, …)", {"red": _RED, "green": _GREEN, "blue": _BLUE}),
    Row("D2-02", "03", "Image data sets: 2017: SENet 2.251%, humans 5.1% (ImageNet top-5 error)",
        {"SENet": 2.251, "human": 5.1}, published=True),
    Row("D2-03", "02", "MNIST: training 60000, test 10000", {"training": 60_000, "test": 10_000}),
    Row("D2-04", "02", "MNIST … best accuracy 99.77%", 0.9977, published=True),
    Row("D2-05", "05", "CIFAR-10: training 50000, test 10000", {"training": 50_000, "test": 10_000}),
    Row("D2-06", "05", "CIFAR-10 … best accuracy 96.53%", 0.9653, published=True),
    Row("D2-07", "06", "CIFAR-100: training 50000, test 10000", {"training": 50_000, "test": 10_000}),
    Row("D2-08", "06", "CIFAR-100 … best accuracy 75.72%", 0.7572, published=True),
    Row("D2-09", "02", "cos θ = (x1x2 + y1y2)/(√(x1²+y1²)·√(x2²+y2²)); the dot product characterises similarity "
        "(the code compares the first 8 with 1000 images of each digit)", {"digit": 8, "images per digit": 1000}),
    Row("D2-10", "01", "Convolution layer: o = ⌊(i + 2p − k)/s⌋ + 1",
        lambda i, k, s=1, p=0: (i + 2 * p - k) // s + 1),
    Row("D2-11", "01", "Convolution operation: the sharpen kernel on the zero-padded image gives 320 "
        "(0·0 + 0·(−1) + 0·0 + 0·(−1) + 105·5 + 102·(−1) + 0·0 + 103·(−1) + 99·0 = 320)",
        {"image": ((105, 102, 100, 97, 96), (103, 99, 103, 101, 102), (101, 98, 104, 102, 100),
                   (99, 101, 106, 104, 99), (104, 104, 104, 100, 98)),
         "kernel": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)), "output": 320}),
    Row("D2-12", "01", "Multi-channel convolution: 308 + (−498) + 164 + 1 = −25 (bias = 1)",
        {"red": ((156, 155, 156, 158, 158), (153, 154, 157, 159, 159), (149, 151, 155, 158, 159),
                 (146, 146, 149, 153, 158), (145, 143, 143, 148, 158)),
         "green": ((167, 166, 167, 169, 169), (164, 165, 168, 170, 170), (160, 162, 166, 169, 170),
                   (156, 156, 159, 163, 168), (155, 153, 153, 158, 168)),
         "blue": ((163, 162, 163, 165, 165), (160, 161, 164, 166, 166), (156, 158, 162, 165, 166),
                  (155, 155, 158, 162, 167), (154, 152, 152, 157, 167)),
         "kernels": (((-1, -1, 1), (0, 1, -1), (0, 1, 1)), ((1, 0, 0), (1, -1, -1), (1, 0, -1)),
                     ((0, 1, 1), (0, 1, 0), (1, -1, 1))),
         "bias": 1, "channel sums": (308, -498, 164), "output": -25}),
    Row("D2-13", "01", "The kernel has 3 channels, weights 3 × 3 × 3 + 1", 3 * 3 * 3 + 1),
    Row("D2-14", "01", "TensorFlow conv and pool: filter [[−1,−1,−1],[−1,9,1],[−1,−1,−1]], "
        "tf.nn.conv2d(img, filter, strides=[1,2,2,1], padding='SAME'), "
        "tf.nn.max_pool(img, [1,2,2,1], [1,2,2,1], padding='VALID'), print(conv_img.shape)",
        {"filter": ((-1, -1, -1), (-1, 9, 1), (-1, -1, -1)), "strides": (1, 2, 2, 1), "padding": "SAME",
         "pool window": (1, 2, 2, 1), "pool strides": (1, 2, 2, 1), "pool padding": "VALID",
         "scale": 255.0 * 255.0, "conv_img.shape (when run)": (1, 14, 14, 1)}),
    Row("D2-15", "01", "Kernel size: parameters 3 × 3 × C1 × C2 against 5 × 5 × C1 × C2",
        {"3×3": lambda c1, c2: 3 * 3 * c1 * c2, "5×5": lambda c1, c2: 5 * 5 * c1 * c2}),
    Row("D2-16", "01", "Input depth = 3, output depth = 8: same/1 → 28 28 8; valid/1 → 26 26 8; valid/2 → 13 13 8",
        {"same/1": (28, 28, 8), "valid/1": (26, 26, 8), "valid/2": (13, 13, 8)}),
    Row("D2-17", "01", "32 × 32 × 3, 20 kernels 8×8, padding = 1, stride = 2: h = w = (32+2−8)/2+1 = 14 → 14 × 14 × 20",
        {"h": 14, "output": (14, 14, 20)}),
    Row("D2-18", "01", "Without sharing: (8*8*3+1)*(14*14*20) = 756560", 756_560),
    Row("D2-19", "01", "With sharing: (8*8*3+1)*20 = 3860", 3_860),
    Row("D2-20", "02", "Classic LeNet-5: Conv2D(32,(5,5),'same') → MaxPooling2D(2,2) → Conv2D(64,(5,5),'same') → "
        "MaxPooling2D → Flatten → Dense(1024) → Dropout(0.5) → Dense(1024) → Dense(10); model.summary()",
        {"conv1": (32, 5, "same"), "conv2": (64, 5, "same"), "dense": (1024, 1024, 10), "dropout": 0.5}),
    Row("D2-21", "02", "CNN handwritten digits: Conv2D(32,(3,3),padding='same') → MaxPool2D(2) → "
        "Conv2D(64,(3,3),padding='same') → Flatten → Dense(128) → Dense(10); Adam, batch_size=128, epochs=20",
        {"conv1": (32, 3, "same"), "conv2": (64, 3, "same"), "dense": (128, 10), "batch_size": 128, "epochs": 20}),
    Row("D2-22", "none", "AlexNet (8 layers): ReLU; Dropout 0.5 (FC); "
        "Conv-Pool-Conv-Pool-Conv-Conv-Conv-Pool-FC-FC-Softmax",
        {"layers": 8, "dropout": 0.5, "sequence": "Conv-Pool-Conv-Pool-Conv-Conv-Conv-Pool-FC-FC-Softmax"}),
    Row("D2-23", "01", "Overlapping pooling reduces the top-5 and top-1 error rates by 0.4% and 0.3%",
        {"top-5": 0.4, "top-1": 0.3}, correct={"top-1": 0.4, "top-5": 0.3},
        why="Krizhevsky et al. 2012, §3.4: 'reduces the top-1 and top-5 error rates by 0.4% and 0.3%, "
            "respectively'; the slide swaps top-1 and top-5", published=True),
    Row("D2-24", "03", "VGG16 and VGG19: 3 × 3 kernels; 2 × 2 pooling, stride 2", {"kernel": 3, "pool": 2, "stride": 2}),
    Row("D2-25", "03", "VGG16(weights='imagenet', include_top=False)", {"weights": "imagenet", "include_top": False}),
    Row("D2-26", "03", "vgg19.VGG19(); load_img('./cat.jpg', target_size=(224, 224)); preprocess_input; "
        "decode_predictions", {"target_size": (224, 224)}),
    Row("D2-27", "01", "Inception: tf.keras.layers.concatenate; a fully connected layer can be seen as a 1x1 convolution",
        {"kernel": 1}),
    Row("D2-28", "01", "1 × 1 × 192 × 64 + 3 × 3 × 192 × 128 + 5 × 5 × 192 × 32 = 387072", 387_072),
    Row("D2-29", "06", "Inception V2: 1. Batch Normalization; 2. 3x3 kernels", {"kernel": 3}),
    Row("D2-30", "04", "Batch Normalization: 64% probability in [−1, 1]", 0.64, correct=_GAUSS1,
        why="for a standard normal P(|z| ≤ 1) = erf(1/√2) = 0.6827: the 68–95 rule; 64% is a slip"),
    Row("D2-31", "04", "… 95% probability in [−2, 2]", 0.95),
    Row("D2-32", "04", "μ_B = (1/m) Σ x_i; σ²_B = (1/m) Σ (x_i − μ_B)²; x̂_i = (x_i − μ_B)/√(σ²_B + ε); y_i = γ x̂_i + β",
        lambda x, gamma, beta, epsilon: gamma * (x - x.mean(axis=0)) / (x.var(axis=0) + epsilon) ** 0.5 + beta),
    Row("D2-33", "04", "z = W*x + b; out = γ(z − μ)/√(σ² + ε) + β; w_fold = γ·W/√(σ² + ε); "
        "b_fold = γ·(b − μ)/√(σ² + ε) + β",
        {"w_fold": lambda w, gamma, variance, epsilon: gamma * w / (variance + epsilon) ** 0.5,
         "b_fold": lambda b, gamma, beta, mean, variance, epsilon: gamma * (b - mean) / (variance + epsilon) ** 0.5 + beta}),
    Row("D2-34", "04", "(folding) reduces the bias parameters", "fewer bias parameters"),
    Row("D2-35", "05", "Degradation of deep networks (CIFAR-10): error of plain vs residual networks at different depths",
        "deeper plain networks have higher training error"),
    Row("D2-36", "05", "ResNet (152 layers)", 152),
    Row("D2-37", "05", "residual_block: Conv2D(64,(3,3),padding='same') → relu_bn → Conv2D(64,(3,3),padding='same') "
        "→ Add()([x, y]) → relu_bn", {"filters": 64, "kernel": 3, "padding": "same"}),
    Row("D2-38", "05", "The shortcut goes through a 1x1 convolution", {"kernel": 1}),
    Row("D2-39", "05", "34-layer residual, 34-layer plain, VGG-19", {"residual": 34, "plain": 34, "VGG": 19}),
    Row("D2-40", "05", "ResNet-110 / ResNet-164 error (%): (a) 6.61 / 5.93", {"ResNet-110": 6.61, "ResNet-164": 5.93}, published=True),
    Row("D2-41", "05", "(b) 8.17 / 6.50", {"ResNet-110": 8.17, "ResNet-164": 6.50}, published=True),
    Row("D2-42", "05", "(c) 7.84 / 6.14", {"ResNet-110": 7.84, "ResNet-164": 6.14}, published=True),
    Row("D2-43", "05", "(d) 6.71 / 5.91", {"ResNet-110": 6.71, "ResNet-164": 5.91}, published=True),
    Row("D2-44", "05", "(e) 6.37 / 5.46", {"ResNet-110": 6.37, "ResNet-164": 5.46}, published=True),
    Row("D2-45", "05", "X^(l+1) = X^(l) + F(X^(l)); ∂J/∂X^(1) = ∂J/∂X^(l+1) (1 + Σ_k ∂F(X^(k))/∂X^(1))", "1 +"),
    Row("D2-46", "05", "Inception-ResNet: out = out * self.scale + x  (multiply by a scale of 0.1, then add)", {"scale": 0.1}),
    Row("D2-47", "06", "CIFAR-100, VGG16: SGD 0.4273 0.6073 0.5938, Adam 0.4071 0.6232 0.5758",
        dict(zip(_CIFAR100_COLUMNS, (0.4273, 0.6073, 0.5938, 0.4071, 0.6232, 0.5758)))),
    Row("D2-48", "06", "CIFAR-100, ResNet18: SGD 0.5714 0.637 0.6227, Adam 0.5535 0.6358 0.551",
        dict(zip(_CIFAR100_COLUMNS, (0.5714, 0.637, 0.6227, 0.5535, 0.6358, 0.551)))),
    Row("D2-49", "06", "CIFAR-100, InceptionV2: SGD 0.5012 0.5615 0.4908, Adam 0.4946 0.6037 0.4948",
        dict(zip(_CIFAR100_COLUMNS, (0.5012, 0.5615, 0.4908, 0.4946, 0.6037, 0.4948)))),
    Row("D2-50", "none", "Driving model: BatchNormalization; Convolution2D 24, 36, 48 @5×5 subsample (2,2); 64, 64 @3×3; "
        "Dense 100, Dropout 0.4, 50, 10, Dropout 0.4, 1; loss 'mse', adam(lr=0.0001)",
        {"convolutions": ((24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)),
         "dense": (100, 50, 10, 1), "dropout": 0.4, "learning rate": 0.0001}),
    Row("D2-51", "07", "ENAS: WikiText-2, step: 50", {"data set": "WikiText-2", "step": 50}, published=True),
    Row("D2-52", "07", "ImageClassifier(verbose=True, augment=False); fit(x_train, y_train, time_limit=0.1*60*60); "
        "evaluate(x_test, y_test)", {"time_limit": 0.1 * 60 * 60, "verbose": True, "augment": False}),
    Row("D2-53", "07", "AutoKeras table: LeNet5, parameters 107,786", 107_786),
    Row("D2-54", "07", "AutoKeras table: LeNet5, accuracy 0.9919", 0.9919),
    Row("D2-55", "07", "AutoKeras 0.1 hour: 79,822 parameters, 0.9918", {"hours": 0.1, "parameters": 79_822, "accuracy": 0.9918}),
    Row("D2-56", "07", "AutoKeras 0.5 hour: 153,870 parameters, 0.9934", {"hours": 0.5, "parameters": 153_870, "accuracy": 0.9934}),
    Row("D2-57", "07", "AutoKeras 0.8 hour: 11,535,114 parameters, 0.9964",
        {"hours": 0.8, "parameters": 11_535_114, "accuracy": 0.9964}),
    Row("D2-58", "07", "MCDNN, Ciresan et al., CVPR 2012, 0.9977", 0.9977, published=True),
    Row("D2-59", "01", "Pooling: 1. has no parameters; 2. reduces dimension (2×2, stride 2)",
        {"parameters": 0, "window": 2, "stride": 2}),
    # ---- deck 004, the seminar --------------------------------------------------------------
    Row("D4-01", "none", "W^(t+1) = W^(t) − η dL/dW^(t); target (1, 0, 0)^T", {"target": (1, 0, 0)}),
    Row("D4-02", "none", "Torch: nn.Linear(3, 4) → nn.Sigmoid → nn.Linear(4, 3) → nn.Sigmoid; nn.MSECriterion; "
        "forward, then backward, each iteration", {"layers": (3, 4, 3)}),
    Row("D4-03", "01", "1-D: y1 = w1x1 + w2x2, y2 = w1x2 + w2x3 (M_f = 2): correlation; "
        "convolution uses w_(M_f+1−i)",
        {"correlation": lambda x, w: [sum(w[i] * x[k + i] for i in range(len(w))) for k in range(len(x) - len(w) + 1)],
         "convolution": lambda x, w: [sum(w[len(w) - 1 - i] * x[k + i] for i in range(len(w)))
                                      for k in range(len(x) - len(w) + 1)]}),
    Row("D4-04", "01", "y(n) = Σ x(i) w(n − i); y(t) = ∫ x(s) h(t − s) ds; image: g(i, j) = Σ f(k, l) w(i − k, j − l)",
        lambda f, w: [[sum(f[k][l] * w[i - k][j - l] for k in range(len(f)) for l in range(len(f[0]))
                           if 0 <= i - k < len(w) and 0 <= j - l < len(w[0]))
                       for j in range(len(f[0]) + len(w[0]) - 1)] for i in range(len(f) + len(w) - 1)]),
    Row("D4-05", "01", "Correlation operator and convolution operator: f = magic(5), w = magic(3)",
        {"f": _MAGIC5, "w": _MAGIC3}),
    Row("D4-06", "01", "Linear filter: Filtered (no change)", ((0, 0, 0), (0, 1, 0), (0, 0, 0))),
    Row("D4-07", "01", "Linear filter: Shifted left by 1 pixel", 1),
    Row("D4-08", "01", "Blur (with a box filter): 1/9 × ones(3, 3)", 1 / 9),
    Row("D4-09", "01", "Edge detect: [[0,1,0],[1,−4,1],[0,1,0]]", ((0, 1, 0), (1, -4, 1), (0, 1, 0))),
    Row("D4-10", "01", "7x7 input, 3x3, stride 1 => 5x5 output: (7 − 3)/1 + 1 = 5", 5),
    Row("D4-11", "01", "stride 2 => 3x3 output: (7 − 3)/2 + 1 = 3", 3),
    Row("D4-12", "01", "input 7x7, receptive field 3x3, stride 1, pad with 1 pixel border => 7x7, preserved size!", 7),
    Row("D4-13", "01", "'Same convolution': input [9x9], 3x3 neurons, stride 1, pad 1 => [9x9]", 9),
    Row("D4-14", "01", "'Valid convolution': input [9x9], 3x3 neurons, stride 1, pad 0 => [7x7]", 7),
    Row("D4-15", "01", "X ∈ R^(d_in×h×w), W ∈ R^(d_out×d_in×F_h×F_w), Y ∈ R^(d_out×h×w); "
        "fully connected: x ∈ R^d_in, W ∈ R^(d_out×d_in), y ∈ R^d_out",
        lambda d_in, d_out, f_h, f_w, h, w: {"X": (d_in, h, w), "W": (d_out, d_in, f_h, f_w), "Y": (d_out, h, w)}),
    Row("D4-16", "01", "y_(f',i',j') = Σ_f Σ_i Σ_j x_(f, i'+i−1, j'+j−1) w_(f',f,i,j) + b_(f')",
        lambda x, w, b, f_out, i_out, j_out: b[f_out - 1] + sum(  # 1-based, channels first, i, j = 1..F
            x[f - 1][i_out + i - 2][j_out + j - 2] * w[f_out - 1][f - 1][i - 1][j - 1]
            for f in range(1, len(x) + 1) for i in range(1, len(w[0][0]) + 1) for j in range(1, len(w[0][0][0]) + 1))),
    Row("D4-17", "01", "example: y_(4,10,10) (one input map) and y_(4,10,100) (four input maps)",
        {"y_4,10,10": (4, 10, 10, 1), "y_4,10,100": (4, 10, 100, 4)}),
    Row("D4-18", "01", "dL/dx_(f,i,j) = Σ_f' Σ_i' Σ_j' dL/dy_(f',i',j') · w_(f',f,i−i'+1,j−j'+1)", "dL/dx"),
    Row("D4-19", "01", "dL/dw_(f',f,i,j) = Σ_f' Σ_i' Σ_j' dL/dy_(f',i',j') · x_(f,i'+i−1,j'+j−1)", "dL/dw"),
    Row("D4-20", "01", "MAX POOLING, single depth slice: max pool with 2x2 filters and stride 2", {"window": 2, "stride": 2}),
    Row("D4-21", "01", "Average pooling, single depth slice, 2x2 filters and stride 2 → [[4.25, 5.25], [2, 2]]",
        ((4.25, 5.25), (2, 2)), correct=((3.25, 5.25), (2, 2)),
        why="the slide pools the max-pooling slide's grid, cs231n's single depth slice "
            "[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]] (it gives the other three averages "
            "exactly); its top-left window 1, 1, 5, 6 averages 13/4 = 3.25, not 4.25"),
    # ---- deck 001, the cs231n notes ----------------------------------------------------------
    Row("D1-01", "01", "CIFAR-10 images are 32*32*3 = 3072: each neuron of the first hidden layer has 3072 parameters", 3_072),
    Row("D1-02", "01", "INPUT [32x32x3] → CONV with 12 filters [32x32x12] → RELU [32x32x12] → POOL [16x16x12] → FC 1x1x10",
        {"CONV": (32, 32, 12), "RELU": (32, 32, 12), "POOL": (16, 16, 12), "FC": (1, 1, 10)}),
    Row("D1-03", "01", "output height (= width): (N + 2P − m)/S + 1", lambda n, m, s=1, p=0: (n + 2 * p - m) / s + 1),
    Row("D1-04", "01", "CIFAR-10 32x32x3, filter 5x5x3, S = 1, P = 0 → 28x28; S = 3 → 10x10", {"S=1": 28, "S=3": 10}),
    Row("D1-05", "01", "ImageNet 2012: 227x227x3, m = 11, S = 4, P = 3, K = 96 → 55x55x96",
        {"P": 3, "output": (55, 55, 96)}, correct={"P": 0, "output": (55, 55, 96)},
        why="with P = 3, (227 + 6 − 11)/4 + 1 = 56.5 is no size; P = 0 gives (227 − 11)/4 + 1 = 55"),
    Row("D1-06", "01", "55*55*96 = 290400 neurons, each 11*11*3 + 1 = 364 parameters: 290400*364 = 105,705,600",
        {"neurons": 290_400, "per neuron": 364, "parameters": 105_705_600}),
    Row("D1-07", "01", "with sharing: 96*11*11*3 + 96 = 34944", 34_944),
    Row("D1-08", "01", "im2col: (227−11)/4 = 55; 11x11x3 = 363; 55x55 = 3025; X_col [363x3025]; filter_col [96x363]; "
        "np.dot → [96x3025]", {"quotient": 55, "X_col": (363, 3025), "filter_col": (96, 363), "product": (96, 3025)},
        correct={"quotient": 54, "X_col": (363, 3025), "filter_col": (96, 363), "product": (96, 3025)},
        why="(227 − 11)/4 = 54; the output size is (227 − 11)/4 + 1 = 55: the notes drop the + 1"),
    Row("D1-09", "01", "2x2 pooling with S = 2 discards 75% of the activations; less common: 3x3 with S = 2",
        {"discarded": 0.75, "overlapping": (3, 2)}),
    Row("D1-10", "01", "three 3x3 CONV layers have the receptive field of one 7x7, with fewer parameters", 7),
    Row("D1-11", "01", "input sizes divisible by 2 many times: 32, 64, 96, 224, 384, 512", (32, 64, 96, 224, 384, 512)),
    Row("D1-12", "03", "GoogLeNet 4M parameters, AlexNet 60M; VGGNet 140M", {"GoogLeNet": 4e6, "AlexNet": 60e6, "VGGNet": 140e6},
        published=True),
    Row("D1-13", "01", "VGG16 per layer: memory 150K, 3.2M, … and weights 1,728, 36,864, … 4,096,000", "table"),
    Row("D1-14", "01", "TOTAL params: 138M parameters (first FC: 7*7*512*4096 = 102,760,448)",
        {"total": 138e6, "fc1": 102_760_448}),
    Row("D1-15", "01", "TOTAL memory: 24M * 4 bytes ~= 93MB / image (only forward! ~*2 for bwd)",
        {"activations": 24e6, "MB": 93}, correct={"activations": 15_237_608, "MB": 60.95},
        why="the notes' own rows add up to 15,237,608 activations = 61 MB in float32"),
    # ---- deck 000, image features ------------------------------------------------------------
    Row("D0-01", "none", "Mark I Perceptron: 20×20 photocells, a 400-pixel image", 400),
    Row("D0-02", "none", "computational graph, N, D = 3, 4: a = x*y, b = a + z, c = Σ b, and its gradients",
        {"N": 3, "D": 4}),
    Row("D0-03", "none", "two-layer TensorFlow net: N, D, H = 64, 1000, 100", {"N": 64, "D": 1000, "H": 100}),
    Row("D0-04", "02", "LeNet-5: conv filters 5x5 at stride 1, pooling 2x2 at stride 2, [CONV-POOL-CONV-POOL-FC-FC]",
        {"kernel": 5, "pool": 2}),
    Row("D0-05", "03", "8 layers (AlexNet) → 16–19 layers (VGG); only 3x3 CONV stride 1, pad 1 and 2x2 MAX POOL stride 2",
        {"AlexNet": 8, "VGG": (16, 19)}),
    Row("D0-06", "03", "11.7% top 5 error in ILSVRC'13 (ZFNet) → 7.3% top 5 error in ILSVRC'14",
        {"ZFNet": 11.7, "VGG": 7.3}, published=True),
    Row("D0-07", "01", "6 filters 5x5 → a 'new image' of size 28x28x6", (28, 28, 6)),
    Row("D0-08", "01", "with 5 filters the CONV layer is a 3D grid of neurons (28x28x5)", (28, 28, 5)),
    Row("D0-09", "01", "a 5×5×3 = 75-dimensional dot product", 75),
    Row("D0-10", "01", "32x32x3, 10 5x5 filters, stride 1, pad 2: 5*5*3 + 1 = 76 parameters each → 76*10 = 760",
        {"per filter": 76, "total": 760}),
    Row("D0-11", "01", "32x32x3 image → stretch to 3072 x 1; a 3072-dimensional dot product", 3_072),
    Row("D0-12", "03", "configurations A, A-LRN, B, C, D, E: 11, 11, 13, 16, 16, 19 weight layers",
        {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}),
    Row("D0-13", "03", "VGG16 has 1.38亿 (138 million) parameters", 138e6),
    Row("D0-14", "03", "C1-1: input 224×224×3, filter 3×3×3, 64 filters → 224×224×64",
        {"input": (224, 224, 3), "filter": (3, 3, 3), "filters": 64, "output": (224, 224, 64)}),
    Row("D0-15", "03", "C1-2: input 224×224×3, filter 3×3×3, 64 filters → 224×224×64",
        {"input": (224, 224, 3), "filter": (3, 3, 3), "filters": 64, "output": (224, 224, 64)},
        correct={"input": (224, 224, 64), "filter": (3, 3, 64), "filters": 64, "output": (224, 224, 64)},
        why="C1-2 follows C1-1, whose output has 64 channels"),
    Row("D0-16", "03", "P1: input 224×224×64, 2×2 → 112×112×64", {"input": (224, 224, 64), "output": (112, 112, 64)}),
    Row("D0-17", "03", "C2-1: input 112×112×64, filter 3×3×64, 128 filters → 112×112×128",
        {"input": (112, 112, 64), "filter": (3, 3, 64), "filters": 128, "output": (112, 112, 128)}),
    Row("D0-18", "03", "C2-2: input 112×112×64, filter 3×3×64, 128 filters → 112×112×128",
        {"input": (112, 112, 64), "filter": (3, 3, 64), "filters": 128, "output": (112, 112, 128)},
        correct={"input": (112, 112, 128), "filter": (3, 3, 128), "filters": 128, "output": (112, 112, 128)},
        why="C2-2 follows C2-1, whose output has 128 channels"),
    # ---- deck 003, CNN introduction ----------------------------------------------------------
    Row("D3-01", "01", "each of 1M hidden neurons connected to 10 × 10 pixels: 1M × 100 parameters, "
        "1/10000 of full connection", {"parameters": 100_000_000, "fraction": 1e-4}),
    Row("D3-02", "01", "sharing: 100 parameters (a 10 × 10 kernel); 100 kernels → 100 × 100", {"one kernel": 100, "100 kernels": 10_000}),
    Row("D3-03", "01", "d^(l) = d^(l−1) − a + 1", lambda d, a: d - a + 1),
    Row("D3-04", "none", "sigmoid f' = f(1 − f); tanh f' = 1 − f²", "f(1 − f)"),
    Row("D3-05", "none", "backpropagation δ recursions, equations (4)–(20)", "δ"),
    Row("D3-06", "01", "pooling backprop: up(x) = x ⊗ 1_(n×n), divided by n² for mean pooling", "up(x)"),
    Row("D3-07", "01", "∂J/∂K = rot180(x • rot180(δ)); δ^(l−1) = (rot180(K) • δ) ∗ f'(full convolution)", "rot180"),
    Row("D3-08", "02", "MNIST: 60000 training, 10000 test samples", {"training": 60_000, "test": 10_000}),
    Row("D3-09", "02", "MNIST error: linear 7.6%, k-NN 0.63%, boosted stumps 0.87%, SVM 0.56%, neural nets 0.35%, "
        "convolutional nets 0.7% (1998), 0.23% (2012)",
        {"linear": 7.6, "k-NN": 0.63, "boosted stumps": 0.87, "SVM": 0.56, "neural nets": 0.35,
         "conv nets 1998": 0.7, "conv nets 2012": 0.23}, published=True),
    Row("D3-10", "02", "[LeCun et al., 1998] accuracy 99.3%", 0.993, published=True),
    Row("D3-11", "02", "[Ciresan et al., 2012] highest accuracy 99.77%", 0.9977, published=True),
    Row("D3-12", "02", "first convolution layer: 5 × 5 × 6 + 6 = 156 parameters", 156),
    Row("D3-13", "02", "second convolution layer: 5 × 5 × 60 + 16 = 1516 parameters", 1_516),
    Row("D3-14", "02", "C3 connection table (Table 1)", "table"),
    Row("D3-15", "02", "after 50 iterations the network classifies 98.6% of the digits", 0.986, published=True),
    Row("D3-16", "02", "MCDNN: MNIST 0.39 → 0.23 (41%), HWDB1.0 on. 7.61 → 5.61 (26), off. 10.01 → 6.5 (35), "
        "CIFAR10 18.50 → 11.21 (39), traffic signs 1.69 → 0.54 (72), NORB 5.00 → 2.70 (46)",
        {"MNIST": (0.39, 0.23, 41), "HWDB1.0 on.": (7.61, 5.61, 26), "HWDB1.0 off.": (10.01, 6.5, 35),
         "CIFAR10": (18.50, 11.21, 39), "traffic signs": (1.69, 0.54, 72), "NORB": (5.00, 2.70, 46)}, published=True),
    Row("D3-17", "02", "MCDNN column: 1×29×29 − 20C4 − MP2 − 40C5 − MP3 − 150N − 10N", "1x29x29-20C4-MP2-40C5-MP3-150N-10N"),
    Row("D3-18", "02", "800 iterations, learning rate 0.001, effective after 500, 14 hours; 7 aspect ratios; 5 distortions",
        {"iterations": 800, "learning rate": 0.001, "hours": 14, "aspect ratios": 7, "distortions": 5}, published=True),
    Row("D3-19", "02", "MNIST error: CNN 0.40, CNN 0.39, MLP 0.35, committee 0.27, MCDNN 0.23 (23 of 10,000 wrong)",
        {"MCDNN": 0.23, "wrong": 23}, published=True),
    Row("D3-20", "none", "AlexNet: 1.2M images, 1000 classes, 60M parameters, 650K neurons, 5 conv, 3 max-pool, 3 FC",
        {"parameters": 60e6, "neurons": 650e3, "conv": 5, "max-pool": 3, "FC": 3}),
    Row("D3-21", "none", "ReLU reaches 25% training error 6× faster than tanh", 6, published=True),
    Row("D3-22", "none", "LRN: b = a/(k + α Σ a²)^β", "LRN"),
    Row("D3-23", "none", "ILSVRC-2010: sparse coding 47.1/28.2, SIFT+FVs 45.7/25.7, CNN 37.5/17.0", {"CNN": (37.5, 17.0)},
        published=True),
    Row("D3-24", "none", "ILSVRC-2012: 1 CNN 40.7/18.2 … 7 CNNs* 36.7/15.4/15.3", {"7 CNNs*": (36.7, 15.4, 15.3)},
        published=True),
    Row("D3-25", "none", "R-CNN: ~2000 regions; VOC 2010 mAP 53.7% vs 40.4%; 13 s/image GPU, 53 s CPU; IoU 0.5",
        {"regions": 2000, "mAP": 53.7}, published=True),
    Row("D3-26", "none", "R-CNN VOC 2010 per-class table", "table", published=True),
    Row("D3-27", "none", "Fast R-CNN: smooth L1; 2 images × 64 RoIs, ≥ 25% with IoU ≥ 0.5; truncated SVD uv → t(u + v)",
        {"RoIs": 64, "images": 2}),
    Row("D3-28", "none", "Fast R-CNN VOC 2012 per-class table", "table", published=True),
    Row("D3-29", "none", "STL-10 experiment: 96×96; 84.00 / 81.38 / 63.12 / 58.00%", (84.00, 81.38, 63.12, 58.00), published=True),
    Row("D3-30", "none", "CalTech101 experiment: 9146 images; 10 classes × 50/50 at 200×200", {"images": 9_146}, published=True),
    Row("D3-31", "none", "CIFAR-10 experiment: 12@5×5, 24@5×5; per-class 70.6 … 77.0%", {"filters": (12, 24)}, published=True),
    Row("D3-32", "none", "sparse autoencoder: 10×10 input (n = 100), 50 hidden units, ρ = 0.05, KL penalty",
        {"n": 100, "hidden": 50, "rho": 0.05}),
    Row("D3-33", "none", "stacked autoencoder on MNIST: 89.34%", 0.8934, published=True),
]

ROWS: dict[str, Row] = {r.id: r for r in _TABLE}
if len(ROWS) != len(_TABLE):
    raise RuntimeError("labs.slides: duplicate row id")


def row(row_id: str) -> Row:
    """The row ``row_id`` (e.g. "D2-18"); a ``ValueError`` names the decks' ids if it does not exist."""
    try:
        return ROWS[row_id]
    except KeyError:
        raise ValueError(f"no slide row {row_id!r}; ids look like 'D2-18' (decks D0–D4, see slides/CHECKLIST.md)") from None


def rows_of(lab: str) -> list[Row]:
    """The rows the checklist assigns to ``lab`` ("01".."07" or "none")."""
    return [r for r in _TABLE if r.lab == lab]


def value(row_id: str, part: str | None = None) -> Any:
    """The slide's value of ``row_id`` (its ``part`` where the row has several), exactly as printed."""
    return _pick(row(row_id).value, row_id, part)


def quote(row_id: str) -> str:
    """A short translated quote of the slide, tagged with its row id."""
    return f"“{row(row_id).quote}” (slides, {row_id})"


def _pick(values, row_id, part):
    if part is None:
        return values
    if not isinstance(values, dict) or part not in values:
        parts = list(values) if isinstance(values, dict) else []
        raise ValueError(f"slide row {row_id} has no part {part!r}; its parts: {parts}")
    return values[part]


def _expected(row_id, values, part, args):
    expected = _pick(values, row_id, part)
    if callable(expected):
        if args is None:
            raise ValueError(f"slide row {row_id}{'/' + part if part else ''} is a formula: pass args=dict(...)")
        expected = expected(**args)
    return expected


def _compare(name, computed, expected, rtol, atol, hint):
    if rtol or atol:
        check_close(name, computed, expected, rtol=rtol, atol=atol, hint=hint)
    elif _plain(computed) != _plain(expected):
        raise AssertionError(f"{name}: got {_show(computed)}, expected {_show(expected)}. {hint}")


def _plain(x):
    # nested sequences, NumPy arrays and TensorShapes become nested tuples of Python scalars
    if hasattr(x, "as_list"):
        x = x.as_list()
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return tuple(_plain(v) for v in x) if isinstance(x, (list, tuple)) else x


def check(row_id: str, computed, part: str | None = None, *, args: dict | None = None,
          rtol: float = 0.0, atol: float = 0.0) -> str:
    """Check ``computed`` against the slide's value (exactly, or within ``rtol``/``atol``);
    return a line "D2-18: slides 756560, computed 756560" for the notebook to print.
    For a formula row, ``args`` are passed to the slide's formula to get the expected value."""
    r = row(row_id)
    if r.published:
        raise ValueError(f"{row_id} is a published result, not computable here: use slides.cite({row_id!r})")
    if r.correct is not None and _pick(r.correct, row_id, part) != _pick(r.value, row_id, part):
        raise ValueError(f"the slide's {row_id}{'/' + part if part else ''} is wrong ({r.why}): "
                         f"use slides.check_correction")
    expected = _expected(row_id, r.value, part, args)
    name = f"slides {row_id}" + (f" ({part})" if part else "")
    _compare(name, computed, expected, rtol, atol, hint=f"the slide: {quote(row_id)}")
    return f"{row_id}{' ' + part if part else ''}: slides {_show(expected)}, computed {_show(computed)}"


def check_correction(row_id: str, computed, part: str | None = None, *, rtol: float = 0.0,
                     atol: float = 0.0) -> str:
    """Where the slide errs: check that ``computed`` equals the correct value and differs from
    the slide's; return a line with the slide's value, the correct one and why."""
    r = row(row_id)
    if r.correct is None:
        raise ValueError(f"{row_id}: the table holds no correction; use slides.check")
    slide, correct = _pick(r.value, row_id, part), _pick(r.correct, row_id, part)
    name = f"slides {row_id}" + (f" ({part})" if part else "") + ", corrected"
    _compare(name, computed, correct, rtol, atol, hint=r.why)
    same_as_slide = (math.isclose(float(computed), float(slide), rel_tol=rtol, abs_tol=atol)
                     if isinstance(slide, (int, float)) and not isinstance(slide, bool) else _plain(computed) == _plain(slide))
    if same_as_slide and _plain(slide) != _plain(correct):
        raise AssertionError(f"{name}: {computed!r} agrees with the slide's {slide!r}, which the table says is wrong")
    return (f"{row_id}{' ' + part if part else ''}: slides {_show(slide)}; correct {_show(correct)}, "
            f"computed {_show(computed)} ({r.why})")


def cite(row_id: str, part: str | None = None) -> str:
    """A published result, quoted with its row id: cited beside the lab's own measurement, not checked."""
    r = row(row_id)
    shown = _show(_pick(r.value, row_id, part))
    line = f"{row_id}{' ' + part if part else ''}: {shown} — {quote(row_id)}; published, not recomputed here"
    if r.correct is not None:
        line += f"; the source says {_show(_pick(r.correct, row_id, part))} ({r.why})"
    return line


def _show(x) -> str:
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:,.0f}" if x.is_integer() and abs(x) >= 1000 else f"{x:.6g}"
    if hasattr(x, "shape") and getattr(x, "size", 2) == 1:
        return _show(x.item())
    if hasattr(x, "tolist") or hasattr(x, "as_list"):
        return _show(_plain(x))
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in x.items()) + "}"
    if isinstance(x, tuple) and len(x) > 12:
        return f"({len(x)} values)"
    return str(_plain(x)) if isinstance(x, (list, tuple)) else str(x)
