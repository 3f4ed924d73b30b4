"""Lexicon of health terms: conditions, procedures, medications, tests/results, symptoms.

Terms are matched case-insensitively on spaCy tokens, by lowercase form or lemma, with a crude
plural folding (see ``engine._fold``), so list each term once in its usual singular form.

Groups:
  * ``CONDITIONS``, ``PROCEDURES``, ``MEDICATIONS``, ``RESULTS``, ``SYMPTOMS`` — specific terms:
    a mention in the reply is a finding unless the sentence is a general statement about the
    clinic ("we offer flu vaccines"); a mention echoed from the review is always a finding.
  * ``AMBIGUOUS`` — words that are also everyday words ("crown", "filling", "cold", "shot",
    "cleaning", "physical"): they count only when echoed from the review or right after "your".
  * ``BODY`` — body parts: only when echoed from the review or right after "your".
"""

from __future__ import annotations

CONDITIONS = """
abscess; acid reflux; acne; rosacea; eczema; psoriasis; dermatitis; contact dermatitis; hives;
melanoma; basal cell carcinoma; squamous cell carcinoma; skin cancer; actinic keratosis; wart;
plantar wart; cyst; lipoma; mole; skin tag; alopecia; hair loss; vitiligo; shingles; herpes;
cold sore; impetigo; cellulitis; ringworm; athlete's foot; fungal infection; yeast infection;
infection; sinus infection; ear infection; urinary tract infection; UTI; kidney infection;
bladder infection; strep; strep throat; bronchitis; pneumonia; flu; influenza; covid; covid-19;
coronavirus; rsv; mono; mononucleosis; sinusitis; tonsillitis; conjunctivitis; pink eye; asthma;
copd; emphysema; allergy; allergies; anaphylaxis; diabetes; type 1 diabetes; type 2 diabetes;
prediabetes; gestational diabetes; hypertension; high blood pressure; low blood pressure;
hypotension; high cholesterol; hyperlipidemia; heart disease; heart attack; heart failure;
arrhythmia; atrial fibrillation; afib; angina; stroke; aneurysm; anemia; thyroid;
hypothyroidism; hyperthyroidism; hashimoto's; graves' disease; obesity; overweight; gout;
arthritis; osteoarthritis; rheumatoid arthritis; osteoporosis; fibromyalgia; lupus;
multiple sclerosis; parkinson's; alzheimer's; dementia; epilepsy; seizure; concussion; migraine;
vertigo; sciatica; herniated disc; slipped disc; scoliosis; tendinitis; tendonitis; bursitis;
carpal tunnel; plantar fasciitis; fracture; broken bone; sprain; torn acl; torn meniscus;
rotator cuff tear; whiplash; kidney stone; gallstone; appendicitis; hernia; ibs; crohn's;
colitis; ulcerative colitis; celiac; celiac disease; gerd; ulcer; hemorrhoid; hemorrhoids;
constipation; diarrhea; cancer; breast cancer; prostate cancer; colon cancer; lung cancer;
cervical cancer; ovarian cancer; leukemia; lymphoma; tumor; tumour; malignancy; metastasis;
hiv; aids; hepatitis; hepatitis c; std; sti; chlamydia; gonorrhea; syphilis; hpv;
bacterial vaginosis; endometriosis; pcos; polycystic ovary syndrome; fibroids; uterine fibroids;
infertility; miscarriage; ectopic pregnancy; preeclampsia; pregnancy; pregnant; high-risk pregnancy;
menopause; perimenopause; postpartum depression; erectile dysfunction; incontinence;
depression; major depression; anxiety; anxiety disorder; panic attack; panic disorder; ptsd; ocd;
bipolar; bipolar disorder; schizophrenia; psychosis; adhd; add; autism; eating disorder;
anorexia; bulimia; insomnia; sleep apnea; addiction; substance use; alcoholism; opioid use disorder;
suicidal; self-harm; phobia; needle phobia; fear of needles; claustrophobia;
sleep disorder; narcolepsy; restless legs; burnout; dental anxiety; cavity; cavities; tooth decay; decay;
gingivitis; periodontitis; gum disease; periodontal disease; dry socket; impacted tooth;
impacted wisdom tooth; cracked tooth; chipped tooth; broken tooth; abscessed tooth; tmj; tmd;
bruxism; teeth grinding; malocclusion; overbite; underbite; crossbite; sensitivity;
tooth sensitivity; bad breath; halitosis; oral cancer; cataract; cataracts; glaucoma;
macular degeneration; myopia; ear wax; tinnitus; hearing loss; otitis; sepsis; mrsa;
staph infection; bedsores; wound infection; blood clot; dvt; varicose veins; neuropathy;
kidney disease; liver disease; fatty liver; cirrhosis; pancreatitis; dehydration; malnutrition;
concussion syndrome; long covid; lyme disease; measles; chickenpox; whooping cough; pertussis;
head lice; lice; scabies; colic; jaundice; diaper rash; croup; hand foot and mouth
"""

PROCEDURES = """
root canal; root canal treatment; extraction; tooth extraction; wisdom tooth extraction;
wisdom teeth removal; deep cleaning; scaling and root planing; periodontal cleaning; dental implant;
implant; implant surgery; bone graft; gum graft; sinus lift; veneer; veneers; dental crown;
dental bridge; denture; dentures; partial denture; braces; invisalign; aligners; clear aligners;
retainer; orthodontic treatment; orthodontics; teeth whitening; whitening; fluoride treatment;
fluoride varnish; sealant; sealants; dental filling; composite filling; amalgam filling; pulpotomy;
apicoectomy; frenectomy; night guard; occlusal adjustment; sedation; iv sedation; nitrous;
nitrous oxide; laughing gas; general anesthesia; anesthesia; local anesthetic; novocaine;
numbing; botox; filler; fillers; dermal filler; lip filler; chemical peel; microneedling;
laser treatment; laser hair removal; laser resurfacing; cryotherapy; mole removal; biopsy;
skin biopsy; punch biopsy; excision; mohs surgery; cyst removal; wart removal; skin check;
full-body skin check; skin cancer screening; phototherapy; iud; iud insertion; iud removal;
nexplanon; implant removal; pap smear; pap test; pelvic exam; colposcopy; leep; d&c;
dilation and curettage; hysterectomy; c-section; cesarean; cesarean section; vaginal delivery;
epidural; induction; labor induction; ultrasound; transvaginal ultrasound; sonogram; prenatal care;
prenatal visit; postpartum visit; ivf; iui; egg retrieval; embryo transfer; tubal ligation;
vasectomy; mammogram; breast exam; colonoscopy; endoscopy; upper endoscopy; sigmoidoscopy;
hemorrhoid banding; banding; surgery; operation; outpatient surgery; knee surgery; hip replacement;
knee replacement; acl repair; acl reconstruction; rotator cuff repair; arthroscopy; spinal fusion;
appendectomy; cholecystectomy; gallbladder surgery; tonsillectomy; adenoidectomy; ear tubes;
cataract surgery; lasik; mastectomy; lumpectomy; chemotherapy; chemo; radiation; radiation therapy;
infusion; iv infusion; dialysis; transfusion; blood transfusion; physical therapy; occupational therapy;
speech therapy; chiropractic adjustment; cortisone shot; steroid injection; injection; joint injection;
nerve block; epidural injection; stitches; sutures; suture removal; stitch removal; staples;
wound care; incision; drainage; incision and drainage; cpap; bipap; hearing aid; hearing aids; nebulizer; insulin pump;
glucose monitor; cgm; crutches; walker; wheelchair; brace; knee brace; boot; walking boot; cast; splint; x-ray; xray; x-rays; mri;
ct scan; cat scan; pet scan; ekg; ecg; echocardiogram; stress test; holter monitor; sleep study;
blood draw; blood work; bloodwork; lab work; labwork; urinalysis; urine test; drug test;
pregnancy test; strep test; covid test; flu test; rapid test; pcr test; allergy test;
allergy shots; immunotherapy; vaccination; vaccine; vaccines; flu vaccine; flu shot; booster;
covid vaccine; covid booster; tetanus shot; hpv vaccine; mmr; immunization; immunizations;
well-child visit; annual physical; physical exam; wellness exam; counseling; counselling;
psychotherapy; therapy session; cbt; emdr; psychiatric evaluation; medication management;
rehab; rehabilitation; detox; weight loss program; bariatric surgery; gastric bypass; gastric sleeve;
circumcision; catheter; catheterization; pacemaker; stent; angioplasty; bypass surgery;
ear cleaning; ear irrigation; hearing test; eye exam; vision test; dilation; glasses prescription;
contact lens fitting; tooth filling; crown prep; temporary crown; recovery; aftercare; post-op;
post-operative; pre-op; follow-up care; hospitalization; admission; discharge
"""

MEDICATIONS = """
antibiotic; antibiotics; amoxicillin; augmentin; penicillin; azithromycin; z-pack; zpack;
doxycycline; cephalexin; keflex; ciprofloxacin; cipro; clindamycin; metronidazole; flagyl;
bactrim; nitrofurantoin; macrobid; fluconazole; diflucan; valacyclovir; valtrex; acyclovir;
tamiflu; paxlovid; ibuprofen; advil; motrin; naproxen; aleve; acetaminophen; tylenol; aspirin;
tramadol; oxycodone; hydrocodone; vicodin; percocet; codeine; morphine; opioid; opioids;
painkiller; painkillers; pain medication; pain meds; gabapentin; lyrica; muscle relaxant;
cyclobenzaprine; prednisone; steroid; steroids; cortisone; hydrocortisone; triamcinolone;
antihistamine; zyrtec; claritin; allegra; benadryl; epipen; epinephrine; albuterol; inhaler;
symbicort; advair; singulair; montelukast; insulin; metformin; ozempic; wegovy; mounjaro;
zepbound; semaglutide; tirzepatide; jardiance; glipizide; lisinopril; losartan; amlodipine;
metoprolol; atenolol; hydrochlorothiazide; furosemide; lasix; statin; statins; atorvastatin;
lipitor; rosuvastatin; crestor; simvastatin; warfarin; coumadin; eliquis; xarelto; plavix;
blood thinner; blood thinners; levothyroxine; synthroid; omeprazole; prilosec; pantoprazole;
nexium; famotidine; pepcid; zofran; ondansetron; antidepressant; antidepressants; ssri; ssris;
sertraline; zoloft; fluoxetine; prozac; escitalopram; lexapro; citalopram; celexa; paroxetine;
paxil; venlafaxine; effexor; duloxetine; cymbalta; bupropion; wellbutrin; trazodone; mirtazapine;
buspirone; benzodiazepine; xanax; alprazolam; ativan; lorazepam; klonopin; clonazepam; valium;
diazepam; ambien; zolpidem; melatonin; lithium; lamotrigine; lamictal; seroquel; quetiapine;
abilify; aripiprazole; risperdal; risperidone; adderall; ritalin; vyvanse; concerto; concerta;
methylphenidate; stimulant; stimulants; strattera; suboxone; buprenorphine; methadone; naloxone;
narcan; birth control; birth control pill; the pill; contraceptive; contraception; plan b;
depo-provera; depo shot; nuvaring; estrogen; progesterone; hormone therapy; hrt; testosterone;
clomid; letrozole; prenatal vitamins; folic acid; iron supplement; vitamin d; b12 shot;
accutane; isotretinoin; tretinoin; retin-a; retinoid; spironolactone; benzoyl peroxide;
clobetasol; dupixent; humira; enbrel; methotrexate; biologic; topical steroid; antifungal;
antiviral; chlorhexidine; peridex; fluoride rinse; lidocaine; articaine; numbing cream;
viagra; cialis; sildenafil; tadalafil; flomax; finasteride; minoxidil; rogaine; propecia;
antibiotic cream; mupirocin; neosporin; eye drops; ear drops; nasal spray; flonase; steroid cream;
eczema cream; prescription; prescriptions; medication; medications; meds; refill; refills; dose;
dosage; side effect; side effects; allergic reaction; reaction
"""

RESULTS = """
a1c; hba1c; blood sugar; glucose; glucose level; fasting glucose; cholesterol; ldl; hdl;
triglycerides; blood pressure reading; bp reading; blood pressure; heart rate; pulse; bmi;
weight gain; weight loss; tsh; thyroid levels; thyroid panel; psa; psa level; cbc;
blood count; white blood cell count; platelet count; hemoglobin; iron levels; ferritin;
vitamin d level; kidney function; liver enzymes; creatinine; egfr; urine culture; culture;
biopsy results; biopsy result; pathology; pathology report; lab results; test results; results;
positive test; negative test; tested positive; tested negative; abnormal pap; abnormal results;
abnormal result; normal results; hpv positive; pregnancy test result; hcg; hcg levels;
ultrasound results; scan results; x-ray results; mri results; imaging; diagnosis; misdiagnosis;
prognosis; bone density; dexa scan; ekg results; pap results; pap result; mammogram results;
genetic testing; carrier screening; viral load; cd4 count; blood type; rh factor; gestational age;
due date; fetal heartbeat; heartbeat; pocket depth; pocket depths; bone loss; x-ray findings
"""

SYMPTOMS = """
pain; chronic pain; back pain; neck pain; chest pain; abdominal pain; stomach pain; pelvic pain;
jaw pain; tooth pain; toothache; headache; headaches; migraines; fever; cough; sore throat; rash;
swelling; bruising; bleeding; bleeding gums; nausea; vomiting; dizziness; fatigue; numbness;
tingling; shortness of breath; wheezing; itching; itchiness; blisters; blistering; scarring; scar;
scars; discharge; cramps; cramping; spotting; contractions; palpitations; insomnia; panic attacks;
flare; flare-up; flare-ups; inflammation; infection site; sensitivity to cold; throbbing; soreness;
stiffness; limping; hair thinning; breakout; breakouts; lesion; lesions; lump; lumps;
ulcers; sores; mouth sores; canker sore; dry mouth; bad taste; swollen gums; receding gums;
loose tooth; lost filling; broken crown; loose crown; hypertension symptoms; suicidal thoughts;
mood swings; weight issues
"""

AMBIGUOUS = """
cleaning; cleanings; crown; crowns; bridge; filling; fillings; shot; shots; cold; physical; labor;
delivery; baby; weight; screening; checkup; check-up; exam; scan; test; tests; surgery scar; cast;
new smile; bite; gums; plaque; tartar; lungs; skin; mole check; cream; ointment; lotion
"""

BODY = """
tooth; teeth; molar; molars; wisdom tooth; wisdom teeth; gum; jaw; tongue; lip; lips; knee;
knees; hip; hips; shoulder; elbow; wrist; ankle; foot; feet; toe; toes; finger; spine; neck;
skin; scalp; nose; sinus; sinuses; throat; tonsils; chest; breast; breasts; lung; lungs; stomach;
belly; abdomen; kidney; kidneys; liver; bladder; colon; bowel; uterus; cervix; ovary; ovaries;
prostate; thyroid gland
"""


def _split(block: str) -> list[str]:
    return [t.strip() for t in block.replace("\n", " ").split(";") if t.strip()]


#: term -> category ("condition", "procedure", "medication", "result", "symptom")
SPECIFIC: dict[str, str] = {}
for _cat, _block in (
    ("condition", CONDITIONS),
    ("procedure", PROCEDURES),
    ("medication", MEDICATIONS),
    ("result", RESULTS),
    ("symptom", SYMPTOMS),
):
    for _t in _split(_block):
        SPECIFIC.setdefault(_t.lower(), _cat)

# Everyday words that also name health things: demoted from SPECIFIC to WEAK.
_DEMOTE = frozenset(
    _split(
        """
        add; culture; sensitivity; grief; reaction; operation; admission; discharge; results;
        staples; pulse; due date; spotting; cast; imaging; numbing; induction; dilation; retainer;
        flare
        """
    )
)
for _t in _DEMOTE:
    SPECIFIC.pop(_t, None)

# Medication words that name a class or the act of prescribing rather than a drug: a general
# sentence ("we offer a range of contraception options") is not a finding.
GENERIC_MEDICATION = frozenset(
    _split(
        """
        antibiotic; antibiotics; painkiller; painkillers; pain medication; pain meds; opioid; opioids;
        steroid; steroids; antihistamine; inhaler; insulin; statin; statins; blood thinner;
        blood thinners; antidepressant; antidepressants; ssri; ssris; benzodiazepine; stimulant;
        stimulants; birth control; birth control pill; the pill; contraceptive; contraception;
        estrogen; progesterone; hormone therapy; hrt; testosterone; prenatal vitamins; folic acid;
        iron supplement; vitamin d; biologic; topical steroid; antifungal; antiviral; prescription;
        prescriptions; medication; medications; meds; refill; refills; dose; dosage; side effect;
        side effects; allergic reaction; eye drops; ear drops; nasal spray; steroid cream;
        eczema cream; numbing cream; antibiotic cream; melatonin; muscle relaxant; fluoride rinse;
        epinephrine; aspirin
        """
    )
)

#: counted only when echoed from the review or right after "your"
WEAK: dict[str, str] = dict.fromkeys(_DEMOTE, "ambiguous")
for _cat, _block in (("ambiguous", AMBIGUOUS), ("body", BODY)):
    for _t in _split(_block):
        if _t.lower() not in SPECIFIC:
            WEAK.setdefault(_t.lower(), _cat)

# Medical word endings, used to spot health terms in a review that the lexicon lacks
# ("cholecystitis", "rosuvastatin", "blepharoplasty").
MEDICAL_SUFFIXES = (
    "itis",
    "osis",
    "oses",
    "ectomy",
    "ectomies",
    "otomy",
    "ostomy",
    "plasty",
    "scopy",
    "emia",
    "aemia",
    "algia",
    "oma",
    "omas",
    "pathy",
    "cillin",
    "mycin",
    "cycline",
    "floxacin",
    "pril",
    "sartan",
    "olol",
    "statin",
    "azole",
    "prazole",
    "tidine",
    "triptan",
    "azepam",
    "azolam",
    "oxetine",
    "aline",
    "afil",
    "gliptin",
    "glutide",
    "zumab",
    "ximab",
    "tinib",
    "ciclovir",
    "clovir",
    "navir",
    "thiazide",
    "semide",
    "profen",
    "codone",
    "sone",
    "olone",
    "lukast",
    "terol",
    "plegia",
    "trophy",
    "uria",
    "rrhea",
    "rrhoea",
    "ectasia",
    "iasis",
    "phobia",
)

# words that end like medical terms but are not
SUFFIX_STOPWORDS = frozenset(
    [
        "academia",
        "diploma",
        "aroma",
        "oklahoma",
        "person",
        "reason",
        "season",
        "poison",
        "comparison",
        "treason",
        "venison",
        "unison",
        "caisson",
        "arson",
        "lesson",
        "parson",
        "bison",
        "liaison",
        "garrison",
        "crimson",
        "emphasis",
        "basis",
        "crisis",
        "analysis",
        "thesis",
        "philosophy",
        "dose",
        "chromosome",
        "hose",
        "nose",
        "rose",
        "those",
        "whose",
        "close",
        "chose",
        "compose",
        "purpose",
        "suppose",
        "propose",
        "impose",
        "expose",
        "someone",
        "anyone",
        "everyone",
        "response",
        "responses",
        "airline",
        "deadline",
        "guideline",
        "guidelines",
        "online",
        "offline",
        "discipline",
        "hotline",
        "timeline",
        "baseline",
        "outline",
        "frontline",
        "headline",
        "decline",
        "incline",
        "shoreline",
        "pipeline",
        "streamline",
        "gasoline",
        "sequoia",
    ]
)

# Cues in a review that introduce a health term ("diagnosed with X", "they put me on X").
REVIEW_TERM_CUES = (
    r"diagnosed with",
    r"suffer(?:ing|s|ed)? from",
    r"treated for",
    r"treatment for",
    r"prescribed(?: me)?",
    r"put me on",
    r"started me on",
    r"(?:i am|i'm|i was) on",
    r"tested positive for",
    r"tested negative for",
    r"medication (?:called|named)",
    r"allergic to",
    r"history of",
)
