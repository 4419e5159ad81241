"""The papers the pages' claims rest on: one entry each, cited by key from the pages."""

from __future__ import annotations

PAPERS: dict[str, str] = {
    "glorot2010": "Glorot & Bengio (2010). Understanding the difficulty of training deep feedforward "
                  "neural networks. AISTATS. — saturation, the per-layer backward factor, Xavier init.",
    "he2015": "He, Zhang, Ren & Sun (2015). Delving deep into rectifiers. ICCV. — He init (gain √2); "
              "a 30-layer ReLU net with Xavier init fails to converge.",
    "he2016": "He, Zhang, Ren & Sun (2016). Deep residual learning for image recognition. CVPR. — "
              "degradation: deeper plain nets with batch norm reach a higher training error; "
              "residual connections.",
    "pascanu2013": "Pascanu, Mikolov & Bengio (2013). On the difficulty of training recurrent neural "
                   "networks. ICML. — exploding gradients, gradient-norm clipping; the sufficient "
                   "condition for vanishing, λ₁ < 1/γ.",
    "ioffe2015": "Ioffe & Szegedy (2015). Batch normalization. ICML.",
    "yang2019": "Yang, Pennington, Rao, Sohl-Dickstein & Schoenholz (2019). A mean field theory of "
                "batch normalization. ICLR. — without skips, gradients grow with depth at init.",
    "poole2016": "Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli (2016). Exponential expressivity in "
                 "deep neural networks through transient chaos. NeurIPS. — order and chaos.",
    "schoenholz2017": "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017). Deep information "
                      "propagation. ICLR. — the edge of chaos and trainable depth.",
    "balduzzi2017": "Balduzzi, Frean, Leary, Lewis, Ma & McWilliams (2017). The shattered gradients "
                    "problem. ICML. — gradients at nearby inputs decorrelate with depth; "
                    "residual connections slow that.",
    "srivastava2014": "Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov (2014). Dropout. JMLR.",
    "loshchilov2019": "Loshchilov & Hutter (2019). Decoupled weight decay regularization. ICLR. — "
                      "weight decay is not L2 under Adam.",
    "zhang2017": "Zhang, Bengio, Hardt, Recht & Vinyals (2017). Understanding deep learning requires "
                 "rethinking generalization. ICLR. — networks memorize random labels.",
    "prechelt1998": "Prechelt (1998). Early stopping — but when? In Neural Networks: Tricks of the "
                    "Trade. — early stopping on a validation set.",
    "kingma2015": "Kingma & Ba (2015). Adam: a method for stochastic optimization. ICLR. — the ε in "
                  "Adam's update.",
    "hochreiter1991": "Hochreiter (1991). Untersuchungen zu dynamischen neuronalen Netzen. Diploma "
                      "thesis, TU München. — the vanishing gradient, first analysed (recurrent networks).",
    "bengio1994": "Bengio, Simard & Frasconi (1994). Learning long-term dependencies with gradient "
                  "descent is difficult. IEEE Transactions on Neural Networks. — vanishing and exploding "
                  "gradients in recurrent networks.",
    "santurkar2018": "Santurkar, Tsipras, Ilyas & Madry (2018). How does batch normalization help "
                     "optimization? NeurIPS. — a smoother loss landscape, not reduced internal "
                     "covariate shift.",
    "cohen2021": "Cohen, Kaur, Li, Kolter & Talwalkar (2021). Gradient descent on neural networks "
                 "typically occurs at the edge of stability. ICLR. — full-batch gradient descent trains "
                 "on with the curvature near 2 / learning rate.",
    "goyal2017": "Goyal, Dollár, Girshick, Noordhuis, Wesolowski, Kyrola, Tulloch, Jia & He (2017). "
                 "Accurate, large minibatch SGD: training ImageNet in 1 hour. arXiv:1706.02677. — "
                 "learning-rate warm-up.",
    "hanin2018": "Hanin (2018). Which neural net architectures give rise to exploding and vanishing "
                 "gradients? NeurIPS. — at finite width the gradients of a He-initialized ReLU network "
                 "fluctuate, more with depth over width.",
    "nakkiran2020": "Nakkiran, Kaplun, Bansal, Yang, Barak & Sutskever (2020). Deep double descent: "
                    "where bigger models and more data hurt. ICLR. — test error can fall again past "
                    "the interpolation threshold.",
    "goldberg1991": "Goldberg (1991). What every computer scientist should know about floating-point "
                    "arithmetic. ACM Computing Surveys. — rounding, float32 spacing.",
    # the lecture's remedies on the Vanishing page (input scale, residual Jacobian, normalization, history)
    "lecun1998": "LeCun, Bottou, Orr & Müller (1998). Efficient BackProp. In Neural Networks: Tricks of "
                 "the Trade. — standardize the inputs: zero mean, similar variances.",
    "veit2016": "Veit, Wilber & Belongie (2016). Residual networks behave like ensembles of relatively "
                "shallow networks. NeurIPS. — the product of (I + ∂F/∂h) as a sum over paths.",
    "hanin_rolnick2018": "Hanin & Rolnick (2018). How to start training: the effect of initialization and "
                 "architecture. NeurIPS. — residual branches must be scaled down with depth.",
    "zhang2019": "Zhang, Dauphin & Ma (2019). Fixup initialization: residual learning without "
                 "normalization. ICLR. — small initial residual branches instead of normalization.",
    "ba2016": "Ba, Kiros & Hinton (2016). Layer normalization. arXiv:1607.06450. — normalization over "
              "a layer's units: no batch dependence, the same in training and evaluation.",
}


def cite(*keys: str) -> list[str]:
    """The full references for `keys`, in the order given; an unknown key is an error."""
    unknown = [k for k in keys if k not in PAPERS]
    if unknown:
        raise KeyError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(PAPERS)}")
    return [PAPERS[k] for k in keys]
