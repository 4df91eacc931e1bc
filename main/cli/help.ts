/** Help texts, kept apart from the commands so `--help` loads neither sharp nor onnxruntime. */

export const segmentHelp = `Usage: lesiondesk segment <files|folders...> --out DIR [options]

Segments every image (JPEG, PNG, TIFF, BMP, WebP; folders are searched recursively) and writes
  DIR/<stem>_segmentation.png   mask, 0 = background, 255 = lesion, same size as the input
  DIR/<stem>_overlay.jpg        with --overlay: the image with the mask outlined
  DIR/summary.csv               file,width,height,lesion_area_px,uncertainty,ms
A file that cannot be read is reported and skipped; the exit code is then 1.

Options:
  --out DIR            output folder (created if missing)
  --model PATH|NAME    model card, ONNX file, model folder, or name[@version]
                       (default: the newest model in $LESIONDESK_MODELS, the
                       app's user model folder, or the shipped models/)
  --threshold T        probability threshold, 0 < T < 1 (default: the model card's)
  --tta                flip test-time augmentation (3 passes, averaged)
  --overlay            also write <stem>_overlay.jpg
  --threads N          onnxruntime threads per image (default 1)
  --max-megapixels N   refuse larger images (default 64)
  -h, --help           show this help`;

export const evaluateHelp = `Usage: lesiondesk evaluate --pred DIR --truth DIR

Pairs masks by file stem (a "_segmentation" suffix is ignored on both sides, so ISIC ground
truth pairs with the files \`segment\` writes), thresholds them at 128, and prints JSON:
  pooled: DSC and IoU over all pixels of all pairs (tp/fp/fn summed first)
  mean:   the mean of the per-image scores
  images: per-image DSC and IoU (an empty truth and empty prediction score 1)
  unmatched: stems present on only one side; errors: pairs that could not be compared
Exit code 1 when nothing could be paired or a pair failed.

Options:
  --pred DIR    predicted masks
  --truth DIR   ground-truth masks
  -h, --help    show this help`;

export const modelsHelp = `Usage: lesiondesk models [--json]

Lists the models found in $LESIONDESK_MODELS, the app's user model folder (<userData>/models,
e.g. ~/.config/lesiondesk/models on Linux) and the shipped models/ folder, with their cards
(name, version, validation metrics, training data), and any card that could not be used and
why. The execution providers this machine would try are listed too.

Options:
  --json       print the full cards as JSON
  -h, --help   show this help`;
