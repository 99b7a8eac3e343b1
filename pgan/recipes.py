"""Named training recipes: ``pgan train --recipe NAME`` and ``TrainConfig.from_recipe(NAME)``.

Each recipe is a dict of :class:`pgan.config.TrainConfig` settings; options given
next to ``--recipe`` override it. Kept free of Keras imports so ``pgan --help``
stays fast. The measured study of the recipes is in benchmarks/results/recipes.json
and docs/recipes.md; taught in notebooks/09_stabilizing_training.ipynb.
"""

RECIPES = {
    # The reference of the stabilisation study: the TF DCGAN tutorial's way of training.
    "tf_tutorial": {"preset": "dcgan", "epochs": 50, "batch_size": 256, "update": "simultaneous"},
    # The DCGAN with an EMA generator: the article's losses and optimizer, sampling from the average.
    # The best unconditional recipe of the study (FCD 11.1 after 29 epochs); the shipped dcgan_generator.
    "stable": {"preset": "dcgan", "epochs": 20, "batch_size": 64, "ema_decay": 0.999},
    # SNGAN-style: hinge loss, spectral norm in D, two time scales, Adam(0, 0.9), an EMA generator.
    # In this study it collapsed as a conditional GAN, and was behind `stable` at equal GPU time
    # (benchmarks/results/recipes.json).
    "sngan": {
        "preset": "dcgan", "epochs": 20, "batch_size": 64, "loss": "hinge", "spectral_norm": True,
        "d_learning_rate": 4e-4, "g_learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9,
        "ema_decay": 0.999,
    },
    # WGAN-GP (Gulrajani et al.): Wasserstein loss, gradient penalty 10, 5 critic steps. Behind `stable`
    # at equal GPU time (14 epochs in 4 minutes: FCD 25.7).
    "wgan_gp": {
        "preset": "dcgan", "epochs": 20, "batch_size": 64, "loss": "wasserstein", "gp_weight": 10.0,
        "n_critic": 5, "learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9, "dropout": 0.0,
    },
    # The learner's first GAN (notebook 05): the smallest preset, small batches, Adam at ten times the
    # usual rate, a short EMA, 8 steps per compiled call (on a CPU the step's fixed cost dominates a
    # model this small, so many cheap steps win). It draws all ten classes after one minute on a
    # 2-core CPU (benchmarks/first_gan.py; docs/results.md).
    "first": {
        "preset": "first", "epochs": 30, "batch_size": 32, "learning_rate": 2e-3, "ema_decay": 0.995,
        "steps_per_execution": 8,
    },
    # For a 2-core laptop CPU: the small model, the article's losses with Adam at twice the usual rate,
    # a short EMA. In 5 minutes on 2 idle cores: FCD 31.3 (run workshop_lr4_5min), where the rate 2e-4
    # got 38.7, sngan's settings 48.7
    # (39.6 with pgan's SpectralNorm; benchmarks/results/recipes.json).
    "workshop": {"preset": "workshop", "epochs": 4, "batch_size": 64, "learning_rate": 4e-4, "ema_decay": 0.99},
    # Small data: the stable recipe plus DiffAugment on real and fake images. Measured on one GPU at 10%
    # of Fashion-MNIST (200 epochs) it was worse than without (FCD 26.0 vs 14.0); applied with
    # probability 0.3 (--augment-p 0.3) 17.2, colour alone 16.7; no policy tried beat training without it
    # in those 200 epochs (benchmarks/results/recipes.json). Kept for catalogues where D memorises: on the
    # small model without dropout, trained 340-350 epochs at 10%, D did, and translation at p 0.5
    # (--dropout 0 --augment translation --augment-p 0.5) beat no augmentation, FCD 17.0 vs 18.0 and
    # 13.5 vs 17.2 (two seeds). benchmarks/discriminator_overfit.py measures whether D memorises.
    "small_data": {
        "preset": "dcgan", "epochs": 100, "batch_size": 64, "ema_decay": 0.999, "augment": "translation,cutout",
    },
    # Class-conditional: projection discriminator, the DCGAN losses and optimizer, an EMA generator.
    # (With sngan's hinge loss and spectral norm it collapsed: benchmarks/results/recipes.json.)
    # Alone it met the per-class goal for 9 of 10 classes at best (coat 86-88%); fine-tuning a finished
    # run with a class head, --conditional projection_ac --aux-weight 0.3 --init-from RUN, met it for
    # all 10 (coat 97.8%) at some cost in variety (recall 0.74 -> 0.69): the shipped generator. From
    # scratch on the small model, 20 CPU minutes, the head (weight 0.3) met it for 9 classes against 6.
    # Not a GAN: pgan.diffusion's flow-matching U-Net (notebook 12). Adam with the usual beta_1 0.9 (a GAN's
    # 0.5 damps the momentum that an adversary makes harmful; a regression target needs none of that), an
    # EMA network. A starting point, not a tuned recipe: on a 2-core CPU one epoch takes about half an hour.
    "flow": {
        "preset": "flow", "epochs": 20, "batch_size": 128, "learning_rate": 1e-3, "beta_1": 0.9, "ema_decay": 0.999,
    },
    "conditional": {
        "preset": "dcgan", "epochs": 10, "batch_size": 64, "conditional": "projection", "ema_decay": 0.999,
    },
    # AC-GAN (the article's "acGAN"): D also names the class; cross-entropy losses.
    "acgan": {"preset": "dcgan", "epochs": 10, "batch_size": 64, "conditional": "acgan", "ema_decay": 0.999},
}
