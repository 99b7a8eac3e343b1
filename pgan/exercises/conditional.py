"""Self-checks for notebook 10: conditional products.

Each ``check_...`` prints one line ("Correct: ..." or "Not yet: ...") and returns True or False.
"""

from __future__ import annotations

import numpy as np

from pgan.exercises._common import (
    call_answer,
    checker,
    report,
)

__all__ = ["check_conditional_input", "check_projection_logit"]


# --- 10 Conditional products ---------------------------------------------------------------


@checker
def check_conditional_input(condition_fn) -> bool:
    """Exercise (10): ``condition_fn(z, class_embeddings, labels)``, what the conditional generator's trunk receives.

    ``z`` (batch, latent_dim) noise, ``class_embeddings`` (num_classes, latent_dim) the
    table e of the ``label_embedding`` layer, ``labels`` (batch,) ints; the answer is
    z * e(y), element-wise, shape (batch, latent_dim). Compared with the ``condition``
    layer of a small :func:`pgan.models.build_conditional_generator` whose embedding
    table is set far from its start near 1 (so an answer that ignores the label fails).
    Taught in notebooks/10_conditional_products.ipynb.
    """
    import keras

    from pgan import models

    latent_dim, num_classes = 6, 10
    generator = models.build_conditional_generator(
        latent_dim=latent_dim, num_classes=num_classes, width=2, name="check_condition"
    )
    rng = np.random.default_rng(10)
    table = rng.normal(0.0, 1.0, (num_classes, latent_dim)).astype(np.float32)
    generator.get_layer("label_embedding").set_weights([table])
    z = rng.standard_normal((8, latent_dim)).astype(np.float32)
    labels = np.array([0, 3, 7, 7, 9, 1, 5, 2], dtype=np.int32)
    condition = keras.Model(generator.inputs, generator.get_layer("condition").output)
    want = np.asarray(keras.ops.convert_to_numpy(condition([z, labels], training=False)), dtype=np.float64)
    got = np.asarray(keras.ops.convert_to_numpy(
        call_answer(condition_fn, z.copy(), table.copy(), labels.copy())), dtype=np.float64)
    batch = len(labels)
    if got.shape == (batch, 2 * latent_dim):
        return report(False, f"shape {got.shape}: you concatenated z and e(y). That is another common design, but "
                              "this generator multiplies them element-wise: z * e(y), shape (batch, latent_dim).")
    if got.shape == (batch, num_classes):
        return report(False, f"shape {got.shape}: one number per class, as from a dot product with the whole "
                              "table; pick each image's own row e(y) and multiply element-wise.")
    if got.shape != want.shape:
        return report(False, f"shape {got.shape}, expected {want.shape}: one vector of latent_dim numbers "
                              "per image.")
    tolerance = {"rtol": 1e-5, "atol": 1e-6}
    if np.allclose(got, want, **tolerance):
        return report(True, f"{want.shape}, equal to the generator's own 'condition' layer: z * e(y).")
    if np.allclose(got, z, **tolerance):
        return report(False, "the label has no effect: multiply z by the class vector e(y) of each image.")
    if np.allclose(got, z + table[labels], **tolerance):
        return report(False, "you added e(y) to z; this generator multiplies them, z * e(y) (its e starts "
                              "near 1, so training starts from z itself).")
    if np.allclose(got, z * table[:batch], **tolerance):
        return report(False, "you took row i of the table for image i; take row labels[i], the image's class: "
                              "ops.take(class_embeddings, labels, axis=0).")
    if np.allclose(got, z * table[labels[0]], **tolerance):
        return report(False, "every image got the first image's class vector; pick each image's own row, "
                              "ops.take(class_embeddings, labels, axis=0).")
    return report(False, "not z * e(y): pick each image's class vector, e = ops.take(class_embeddings, labels, "
                          "axis=0), and multiply it element-wise into z.")


@checker
def check_projection_logit(logit_fn) -> bool:
    """Exercise (10): ``logit_fn(features, unconditional_logit, class_embeddings, labels)``, the projection logit.

    ``features`` phi(x) (batch, F), ``unconditional_logit`` psi(phi(x)) (batch, 1),
    ``class_embeddings`` (num_classes, F), ``labels`` (batch,) ints; the answer is
    psi(phi(x)) + <embed(y), phi(x)>, shape (batch, 1). Compared with the output of a
    small :func:`pgan.models.build_conditional_discriminator` (head="projection").
    Taught in notebooks/10_conditional_products.ipynb.
    """
    import keras

    from pgan import models

    discriminator = models.build_conditional_discriminator(
        num_classes=10, width=4, dropout=0.0, head="projection", name="check_projection"
    )
    rng = np.random.default_rng(10)
    images = rng.uniform(-1.0, 1.0, (8, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 3, 7, 7, 9, 1, 5, 2], dtype=np.int32)
    parts = keras.Model(discriminator.inputs, [discriminator.get_layer("flatten").output,
                                                discriminator.get_layer("logit").output])
    features, logit = (np.asarray(keras.ops.convert_to_numpy(t), dtype=np.float32)
                       for t in parts([images, labels], training=False))
    embeddings = np.asarray(keras.ops.convert_to_numpy(discriminator.get_layer("label_embedding").embeddings))
    want = np.asarray(keras.ops.convert_to_numpy(discriminator([images, labels], training=False)), dtype=np.float64)
    got = np.asarray(keras.ops.convert_to_numpy(
        call_answer(logit_fn, features.copy(), logit.copy(), embeddings.copy(), labels.copy())), dtype=np.float64)
    batch = len(labels)
    projection = np.sum(embeddings[labels] * features, axis=1, keepdims=True)
    if got.shape == (batch, batch):
        return report(False, f"shape {got.shape}: you dotted every image with every label's embedding; take each "
                              "row's own dot product, ops.sum(embedded * features, axis=-1, keepdims=True).")
    if got.shape == (batch,):
        return report(False, f"shape {got.shape}: keep one column, ({batch}, 1), like D's other logits "
                              "(keepdims=True).")
    if got.shape != want.shape:
        return report(False, f"shape {got.shape}, expected {want.shape}: one logit per image.")
    tolerance = {"rtol": 1e-4, "atol": 1e-5}
    if np.allclose(got, want, **tolerance):
        return report(True, f"{want.shape} logits, equal to the projection discriminator's own output.")
    if np.allclose(got, projection, **tolerance):
        return report(False, "add the unconditional logit psi(phi(x)): the projection alone only says how "
                              "well x fits class y, not whether it looks real.")
    if np.allclose(got, logit, **tolerance):
        return report(False, "the label has no effect: add the dot product of the class embedding "
                              "embed(y) with the features phi(x).")
    if np.allclose(got, logit * projection, **tolerance):
        return report(False, "add the two terms, psi(phi(x)) + <embed(y), phi(x)>; don't multiply them.")
    return report(False, "not the projection discriminator's logit: pick each image's own class embedding, "
                          "ops.take(class_embeddings, labels, axis=0), and add its dot product with the "
                          "features to the unconditional logit.")
