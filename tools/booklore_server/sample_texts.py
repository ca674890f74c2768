"""Opening passages of five public-domain novels, the content of the sample EPUBs.

Each entry: title, authors, ISBN-13 of a common edition (or None, so some samples
can only be matched by hash or title), and chapters as (heading, paragraphs).
"""

SAMPLE_TEXTS = (
    {
        "slug": "pride-and-prejudice",
        "title": "Pride and Prejudice",
        "authors": ["Jane Austen"],
        "isbn13": "9780141439518",
        "chapters": [
            ("Chapter 1", [
                "It is a truth universally acknowledged, that a single man in possession "
                "of a good fortune, must be in want of a wife.",
                "However little known the feelings or views of such a man may be on his "
                "first entering a neighbourhood, this truth is so well fixed in the minds "
                "of the surrounding families, that he is considered the rightful property "
                "of some one or other of their daughters.",
                "\u201cMy dear Mr. Bennet,\u201d said his lady to him one day, \u201chave you "
                "heard that Netherfield Park is let at last?\u201d",
                "Mr. Bennet replied that he had not.",
            ]),
            ("Chapter 2", [
                "Mr. Bennet was among the earliest of those who waited on Mr. Bingley. He "
                "had always intended to visit him, though to the last always assuring his "
                "wife that he should not go.",
                "Observing his second daughter employed in trimming a hat, he suddenly "
                "addressed her with, \u201cI hope Mr. Bingley will like it, Lizzy.\u201d",
                "\u201cWe are not in a way to know what Mr. Bingley likes,\u201d said her "
                "mother resentfully, \u201csince we are not to visit.\u201d",
            ]),
        ],
    },
    {
        "slug": "moby-dick",
        "title": "Moby-Dick; or, The Whale",
        "authors": ["Herman Melville"],
        "isbn13": "9780142437247",
        "chapters": [
            ("Chapter 1. Loomings", [
                "Call me Ishmael. Some years ago\u2014never mind how long precisely\u2014having "
                "little or no money in my purse, and nothing particular to interest me on "
                "shore, I thought I would sail about a little and see the watery part of "
                "the world.",
                "It is a way I have of driving off the spleen and regulating the "
                "circulation.",
                "There now is your insular city of the Manhattoes, belted round by wharves "
                "as Indian isles by coral reefs\u2014commerce surrounds it with her surf.",
            ]),
            ("Chapter 2. The Carpet-Bag", [
                "I stuffed a shirt or two into my old carpet-bag, tucked it under my arm, "
                "and started for Cape Horn and the Pacific.",
                "Quitting the good city of old Manhatto, I duly arrived in New Bedford. It "
                "was a Saturday night in December.",
                "Much was I disappointed upon learning that the little packet for "
                "Nantucket had already sailed, and that no way of reaching that place "
                "would offer, till the following Monday.",
            ]),
            ("Chapter 3. The Spouter-Inn", [
                "Entering that gable-ended Spouter-Inn, you found yourself in a wide, low, "
                "straggling entry with old-fashioned wainscots.",
                "On one side hung a very large oil-painting so thoroughly besmoked, and "
                "every way defaced, that in the unequal crosslights by which you viewed "
                "it, it was only by diligent study that you could arrive at an "
                "understanding of its purpose.",
            ]),
        ],
    },
    {
        "slug": "frankenstein",
        "title": "Frankenstein; or, The Modern Prometheus",
        "authors": ["Mary Wollstonecraft Shelley"],
        "isbn13": "9780141439471",
        "chapters": [
            ("Letter 1", [
                "You will rejoice to hear that no disaster has accompanied the "
                "commencement of an enterprise which you have regarded with such evil "
                "forebodings.",
                "I arrived here yesterday, and my first task is to assure my dear sister "
                "of my welfare and increasing confidence in the success of my "
                "undertaking.",
                "I am already far north of London, and as I walk in the streets of "
                "Petersburgh, I feel a cold northern breeze play upon my cheeks.",
            ]),
            ("Chapter 1", [
                "I am by birth a Genevese, and my family is one of the most distinguished "
                "of that republic.",
                "My ancestors had been for many years counsellors and syndics, and my "
                "father had filled several public situations with honour and reputation.",
                "He was respected by all who knew him for his integrity and indefatigable "
                "attention to public business.",
            ]),
        ],
    },
    {
        "slug": "dracula",
        "title": "Dracula",
        "authors": ["Bram Stoker"],
        "isbn13": None,
        "chapters": [
            ("Chapter 1. Jonathan Harker\u2019s Journal", [
                "3 May. Bistritz.\u2014Left Munich at 8:35 P. M., on 1st May, arriving at "
                "Vienna early next morning; should have arrived at 6:46, but train was an "
                "hour late.",
                "Buda-Pesth seems a wonderful place, from the glimpse which I got of it "
                "from the train and the little I could walk through the streets.",
                "The impression I had was that we were leaving the West and entering the "
                "East.",
            ]),
            ("Chapter 2. Jonathan Harker\u2019s Journal (continued)", [
                "5 May.\u2014I must have been asleep, for certainly if I had been fully "
                "awake I must have noticed the approach of such a remarkable place.",
                "In the gloom the courtyard looked of considerable size, and as several "
                "dark ways led from it under great round arches, it perhaps seemed bigger "
                "than it really is.",
                "\u201cWelcome to my house! Enter freely and of your own will!\u201d",
            ]),
        ],
    },
    {
        "slug": "the-time-machine",
        "title": "The Time Machine",
        "authors": ["H. G. Wells"],
        "isbn13": None,
        "chapters": [
            ("I. Introduction", [
                "The Time Traveller (for so it will be convenient to speak of him) was "
                "expounding a recondite matter to us.",
                "His grey eyes shone and twinkled, and his usually pale face was flushed "
                "and animated.",
                "The fire burned brightly, and the soft radiance of the incandescent "
                "lights in the lilies of silver caught the bubbles that flashed and passed "
                "in our glasses.",
            ]),
            ("II. The Machine", [
                "The thing the Time Traveller held in his hand was a glittering metallic "
                "framework, scarcely larger than a small clock, and very delicately made.",
                "There was ivory in it, and some transparent crystalline substance.",
                "\u201cThis little affair,\u201d said the Time Traveller, \u201cis only a "
                "model. It is my plan for a machine to travel through time.\u201d",
            ]),
        ],
    },
)
