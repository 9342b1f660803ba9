"""The words of the report in each language it is written in (``report --lang``).

The reference note is Chinese, written for Chinese readers; ``--lang zh`` gives it back
in its own language: the six questions in the note's own words, every heading, verdict,
claim title, correction and caption translated. Formulas are the same in every language
(:data:`derive.report.FORMULAS`); evidence lines are program output (numbers and
formulas) and are shown as computed.

>>> sorted(LANGS)
['en', 'zh']
>>> TEXT["zh"]["questions"][0].startswith("何谓模型？")
True
>>> verdict_word("zh", "proved symbolically")
'已符号证明'
"""

from __future__ import annotations

__all__ = ["CLAIM_TITLES_ZH", "CORRECTIONS_ZH", "LANGS", "TEXT", "claim_line", "verdict_word"]

LANGS = ("en", "zh")

TEXT = {
    "en": {
        "title": "Neural networks and deep learning: the note, verified and corrected",
        "intro": "Every claim of the reference note (after Nielsen) was turned into an executable "
                 "check (`python -m derive claims`): {passed} of {total} checks passed. "
                 "Symbolic checks use SymPy; numeric ones use the NumPy network of `numeric/` "
                 "and scikit-learn's digits. Batch convention: the cost is averaged over the batch.",
        "six": "The six questions",
        "questions": [
            "What are a model, parameters and hyperparameters? The model is the network "
            "function a^L(x; W, b); its parameters are the weights and biases learned by "
            "gradient descent; hyperparameters (sizes, learning rate eta, epochs, batch size, "
            "loss) are chosen, not learned.",
            "Why a loss and not accuracy? Accuracy is piecewise constant in the weights, so "
            "its gradient is 0 wherever it exists (claim 2).",
            "Which loss learns faster? With a sigmoid output, cross-entropy: its delta stays "
            "a - y while MSE's is damped by sigma'(z) (claim 3).",
            "Is a smaller or a larger learning rate better? Neither: too small is slow, too "
            "large diverges; for a quadratic cost the limit is 2 / largest curvature (claims 1, 3).",
            "Forward propagation: z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l), layer by layer.",
            "Backpropagation and gradient descent: the four equations below give every "
            "dC/dW and dC/db from one backward pass; each step moves against the gradient.",
        ],
        "claim1": "Claim 1: gradient descent decreases the loss",
        "total_diff": "By the total differential, for small steps:",
        "with_update": "With the update",
        "exactly": "Exactly (SymPy, for any differentiable C), and with the limit it holds to:",
        "claim2": "Claim 2: accuracy cannot be the loss",
        "claim3": "Claim 3: which loss learns faster, and which learning rate",
        "badly_wrong": "For a sigmoid output neuron that is badly wrong (y = 0, z large). The note "
                       "says delta -> 0 as a -> 0 or a -> 1; precisely, this hurts only on the "
                       "wrong side (a -> 1 - y), where the loss is largest; on the right side a "
                       "small delta is just convergence:",
        "digits": "On a real data set, at equal learning rate cross-entropy learns faster; with a "
                  "larger learning rate MSE catches up (it is the same network, only its output "
                  "error is damped by sigma'(z)):",
        "claim4": "Claim 4: forward and backward propagation (corrected)",
        "bp1": "BP1, and its value for the note's three pairs:",
        "bp2": "BP2 (corrected), by index and as matrices:",
        "bp34": "BP3 and BP4:",
        "update": "and the update:",
        "corrections": "Corrections to the note:",
        "evidence_note": "",
        "html_title": "The note, verified",
    },
    "zh": {
        "title": "神经网络与深度学习：笔记（已验证、已更正）",
        "intro": "参考笔记（依照 Nielsen）中的每一个论断都写成了可执行的检查"
                 "（`python -m derive claims`）：{total} 项检查中通过了 {passed} 项。"
                 "符号检查使用 SymPy；数值检查使用 `numeric/` 中的 NumPy 网络和 scikit-learn "
                 "自带的 digits 数据集。批处理约定：损失对一个批次取平均。",
        "six": "六个问题",
        "questions": [  # the note's own questions, each followed by its answer
            "何谓模型？何谓参数？何谓超参数？模型是网络函数 a^L(x; W, b)；参数是由梯度下降"
            "学得的权重和偏置；超参数（各层大小、学习率 η、训练轮数、批大小、损失函数）"
            "是人为选定的，不是学出来的。",
            "为什么要损失函数？能不能直接用正确率？不能：正确率关于权重是分段常数，凡是梯度"
            "存在之处梯度都为 0（论断 2）。",
            "如何选择损失函数使得学习更快？输出层为 sigmoid 时选交叉熵：它的 δ 始终是 a − y，"
            "而 MSE 的 δ 多乘了一个 σ'(z)（论断 3）。",
            "学习率越小越好吗？越大越好吗？都不是：太小学得慢，太大会发散；对二次损失，"
            "学习率的上限是 2 / 最大曲率（论断 1、3）。",
            "正向传播：神经网络模型是怎样进行推理计算的？逐层计算 z^l = W^l a^{l-1} + b^l，"
            "a^l = σ(z^l)。",
            "反向传播：什么是梯度下降法？在训练过程中是怎样学习的？下面的四个方程由一次反向"
            "传递给出所有 ∂C/∂W 和 ∂C/∂b；每一步都让参数沿梯度的反方向移动。",
        ],
        "claim1": "论断 1：梯度下降使损失减小",
        "total_diff": "根据全微分，当步长很小时：",
        "with_update": "若取",
        "exactly": "精确的结论（SymPy，对任意可微的 C）及其成立的条件：",
        "claim2": "论断 2：正确率不能作为损失函数",
        "claim3": "论断 3：哪个损失函数学得更快，学习率该怎样选",
        "badly_wrong": "考虑一个错得很厉害的 sigmoid 输出神经元（y = 0，z 很大）。笔记说 a → 0 "
                       "或 a → 1 时 δ → 0；准确地说，只有在错误的一侧（a → 1 − y）才有害，而那里"
                       "损失最大；在正确的一侧 δ 很小只说明已经收敛：",
        "digits": "在真实数据集上，学习率相同时交叉熵学得更快；学习率更大时 MSE 能追上（两者是"
                  "同一个网络，只是 MSE 的输出误差被 σ'(z) 压小了）：",
        "claim4": "论断 4：正向传播与反向传播（已更正）",
        "bp1": "BP1，以及它在笔记中三种组合下的值：",
        "bp2": "BP2（已更正），分量形式与矩阵形式：",
        "bp34": "BP3 与 BP4：",
        "update": "以及参数更新：",
        "corrections": "对笔记的更正：",
        "evidence_note": "（每条结论下的证据行是程序的输出，按计算结果原样列出。）",
        "html_title": "笔记（已验证）",
    },
}

_VERDICTS_ZH = {"proved symbolically": "已符号证明", "checked numerically": "已数值验证",
                "failed": "未通过", "unavailable": "无法检查"}

# claim key -> its title in Chinese (the English title comes with each result)
CLAIM_TITLES_ZH = {
    "1a": "梯度下降在一阶近似下使损失减小：dC/dη = −|∇C|² ≤ 0",
    "1b": "在随机网络上，一小步梯度下降使 C 减小（η 变大后不再如此）",
    "1c": "二次损失：下降要求 η < 2 / 最大曲率",
    "2a": "正确率不能作为损失：凡是梯度存在之处梯度都为 0",
    "2b": "在真实网络上，正确率的有限差分梯度为 0",
    "3a": "sigmoid + MSE 在错得厉害时停滞，sigmoid + 交叉熵不会",
    "3b": "错得厉害的神经元：交叉熵比 MSE 学得快",
    "3c": "digits 数据集：学习率相同时交叉熵比 MSE 学得快",
    "3d": "学习率：太小学得慢，太大会发散",
    "4a": "BP1：笔记中三种输出/损失组合的 δ^L = a^L − y",
    "4b": "BP2–BP4：derive.backprop 证明的单层递推引理",
    "4c": "更正笔记笔误之后的四个方程",
    "4d": "数值反向传播（四个方程）与有限差分一致",
}

# the wrong LaTeX of a correction -> why, in Chinese
CORRECTIONS_ZH = {
    r"W^l_{jk} \to 0,\ b^l_j \to 0": "全微分讲的是参数的微小变化，而不是权重很小；而且第一行是近似"
                                     "（≈），不是极限（→）",
    r"W^j_{jk}": "BP2 中的层下标写错了：连接第 l−1 层神经元 k 与第 l 层神经元 j 的权重是 "
                 "W^l_{jk}（j 是神经元，不是层）",
    r"\frac{\partial C}{W^l_{jk}}": "分母漏了 ∂：dC/W 应为 dC/dW",
    r"\nabla z^{l-1}_k": "BP2 中的因子是激活函数的导数 σ'(z^{l-1})；照字面读，dz/dz = 1，BP2 "
                         "就不成立了",
    r"\argmax": "\\argmax 不是 LaTeX/KaTeX 命令",
}


def verdict_word(lang: str, verdict: str) -> str:
    """The verdict as shown in ``lang`` (English: upper case, as ``claims`` prints it)."""
    return _VERDICTS_ZH.get(verdict, verdict) if lang == "zh" else verdict.upper()


def claim_line(lang: str, result) -> str:
    """``[key] VERDICT: title`` then the evidence lines, in ``lang``.

    >>> from derive.claims import ClaimResult
    >>> print(claim_line("zh", ClaimResult("2a", "t", "failed", ("e",))))
    [2a] 未通过：正确率不能作为损失：凡是梯度存在之处梯度都为 0
          e
    """
    if lang != "zh":
        return str(result)
    title = CLAIM_TITLES_ZH.get(result.key, result.title)
    lines = [f"[{result.key}] {verdict_word(lang, result.verdict)}：{title}"]
    return "\n".join(lines + [f"      {e}" for e in result.evidence])
