/** Help texts, kept apart from the commands so `--help` loads neither sharp nor onnxruntime. */

export const segmentHelp = `Usage: lesiondesk segment <files|folders...> --out DIR [options]

Segments every image (JPEG, PNG, TIFF, BMP, WebP; folders are searched recursively) and writes
  DIR/<stem>_segmentation.png   mask, 0 = background, 255 = lesion, same size as the input
  DIR/<stem>_overlay.jpg        with --overlay: the image with the mask outlined
  DIR/summary.csv               file,width,height,lesion_area_px,uncertainty,ms
A file that cannot be read is reported and skipped; the exit code is then 1.
Every input keeps its own stem when it can; inputs sharing one get the extension added
(a.jpg -> a_segmentation.png, a.png -> a_png_segmentation.png, a-2.jpg -> a-2_segmentation.png).
Nothing existing is overwritten without --overwrite: if any output (or summary.csv) already
exists in DIR, for example ISIC ground truth named <id>_segmentation.png beside the images,
the run stops before segmenting, writes nothing, and exits 2; a file that appears during the
run is reported and kept. An input file is never overwritten, even with --overwrite: inputs
and DIR are compared with links resolved, so a DIR that links to the images folder is the
images folder, and an output that is (or links to) an input stops the run before any work.
Every output is written under a hidden temporary name in DIR and then renamed, so none is
ever half-written; a full, read-only or forbidden DIR stops the run, naming the file and the
reason, and leaves no partial file. Names in summary.csv that a spreadsheet would run as a
formula (= + - @, tab, CR) start with an apostrophe.

With --boxes FILE.csv (header file,x0,y0,x1,y1), each image listed there is segmented in its
box by the interactive model (the box is the region; the mask outside it stays empty) and
every other image automatically; summary.csv then says which (mode auto|box, and the box).
--threshold and --tta apply to the automatic ones; a box uses the interactive card's threshold.
Boxes are pixels of the image as displayed (after EXIF orientation), x1 and y1 exclusive, and
must lie inside the image; a box outside it or inverted, or a file in the CSV that is not one
of the inputs, stops the run before any work, naming the line.

Options:
  --out DIR            output folder (created if missing)
  --boxes FILE.csv     segment the listed images in their box (see above)
  --model PATH|NAME    model card, ONNX file, model folder, or name[@version]
                       (default: the active model version, shared with the app;
                       see \`lesiondesk models\`)
  --threshold T        probability threshold, 0 < T < 1 (default: the model card's)
  --tta                flip test-time augmentation (3 passes, averaged)
  --overlay            also write <stem>_overlay.jpg
  --threads N          onnxruntime threads per image (default 1)
  --max-megapixels N   refuse larger images (default 64)
  --overwrite          replace outputs that already exist in DIR
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

export const modelsHelp = `Usage: lesiondesk models [list|activate NAME@VERSION|rollback|delete NAME@VERSION] [--json]

Model versions, shared with the app: the shipped model (read-only, the root of every lineage)
and every fine-tuned version in the user-data folder ($LESIONDESK_DATA_DIR, default the app's
folder, e.g. ~/.config/lesiondesk on Linux). The list also shows the shipped interactive
model (the editor's Box and Click tools, \`refine\`, \`segment --boxes\`): it is not a version
of the automatic model, is never activated or fine-tuned, and stays as it is when a
fine-tuned automatic model is activated.

  list (default)            every version: lineage, creation time, corrections, validation
                            and anchor Dice of base and candidate, the gate's reason, the
                            active marker (*); a damaged version is listed with the reason
  activate NAME@VERSION     make a version the active one (app and \`segment\`)
  rollback                  return to the previously active version
  delete NAME@VERSION       delete a fine-tuned version (never the shipped or active one)

Options:
  --json       print the list (and any message) as JSON
  -h, --help   show this help`;

export const finetuneHelp = `Usage: lesiondesk finetune --images DIR --masks DIR [options]

Fine-tunes the active model (or --base) on corrected masks, with the job runner the app uses:
the images are resized as inference does, about 1 case in 4 is held out for validation (by
its file name, so a case never moves between training and validation across jobs), original
ISIC images are replayed so the model does not forget them, and the result becomes a new
version. It is activated only if its validation Dice is at least the base's and its Dice on a
fixed anchor set of original images drops by at most 1 point; otherwise it is kept as a
candidate with the reason (\`lesiondesk models activate\` can still activate it).
Masks are named like the images (<stem>.png) or <stem>_segmentation.png (ISIC). What cannot
be paired is reported and skipped, and the job goes on: a folder or pipe named like an image,
an image without a mask, two images with one stem (IMG_1.jpg and IMG_1.png), two masks for one.
Needs Python 3 with PyTorch: $LESIONDESK_PYTHON, else the first python3 that imports torch.
Progress goes to stderr; Ctrl+C cancels and leaves the models as they were.

Options:
  --images DIR             images (JPEG, PNG, TIFF, BMP, WebP)
  --masks DIR              masks, 0 = background, 255 = lesion, same size as the images
  --base NAME@VERSION      version to fine-tune (default: the active one)
  --epochs N               training epochs (default 10)
  --activate auto|never    auto: activate when the gate passes (default); never: keep as a candidate
  --margin D               the candidate must beat the base's validation Dice by D (default 0)
  --replay DIR             also replay this dataset folder (repeatable; ISIC or images/ + masks/);
                           the committed ISIC 2017 sample (models/replay) is always replayed
  --anchor DIR             score forgetting on this fixed set instead of the committed ISIC anchors
  --json                   print a summary on stdout: version, activated, reason, base and
                           candidate Dice
  -h, --help               show this help`;

export const refineHelp = `Usage: lesiondesk refine IMAGE --out MASK [--mask PREVIOUS] [--box x0,y0,x1,y1]
                        [--click +x,y]... [--click -x,y]...

One step of the interactive model (what the editor's Box and Click tools do), for scripts:
the region is the box, or without one the region the Click tool grows around the clicks and
the previous mask; the model sees that region with every click and the previous mask, and the
result replaces the mask inside the region only. Writes MASK, an 8-bit PNG (0 / 255) of the
image's size. Coordinates are pixels of the image as displayed (after EXIF orientation); x1
and y1 are exclusive. A box outside the image or inverted, a click outside the image or the
box, or a --mask of another size is refused, naming it (exit 2).

Options:
  --out MASK           the refined mask (PNG); an existing file is kept unless --overwrite
  --mask PREVIOUS      the current mask (>= 128 is lesion; default: none)
  --box x0,y0,x1,y1    the region to segment (default: grown around the clicks)
  --click +x,y         a lesion click; --click -x,y a skin click (repeatable, at most 20)
  --threads N          onnxruntime threads (default 1)
  --overwrite          replace MASK if it exists
  -h, --help           show this help`;

export const evaluateClicksHelp = `Usage: lesiondesk evaluate-clicks --images DIR --masks DIR [--start auto|empty]
                                [--max-clicks N] [--json]

The click protocol of interactive segmentation (Xu et al. 2016, as RITM evaluates it) on a
folder of image/mask pairs (paired by stem; a "_segmentation" suffix is ignored), at full
resolution: the next click goes to the point of the largest error farthest from its border,
positive where lesion was missed, negative where skin was taken; clicks continue until IoU
0.90 (and at least 5 clicks, for the IoU after 5) or N clicks. Prints one row per image and
the summary: NoC@85 and NoC@90 (mean clicks to reach IoU 0.85 / 0.90, N where never reached,
0 where the start already reaches it), mean IoU after 1, 3 and 5 clicks, median ms per click.

Starts: auto (default) from the automatic model's prediction, the first click choosing the
region as the Click tool does (a click outside it later starts a new region there); empty
from no mask, the region being the whole image.

Options:
  --images DIR        images
  --masks DIR         true masks (>= 128 is lesion), the images' size
  --start auto|empty  what the clicks correct (default auto)
  --max-clicks N      at most N clicks per image, 1 to 20 (default 20)
  --threads N         onnxruntime threads (default 1)
  --json              print rows and summary as JSON
  -h, --help          show this help`;
