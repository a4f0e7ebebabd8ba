/**
 * Backbones as data (torchvision's ResNets, MobileNetV2, MobileNetV3 large and small, EfficientNet-B0), with
 * fastai's model_meta: their cut and their split into layer groups.
 */
package dev.graft.models.arch;
