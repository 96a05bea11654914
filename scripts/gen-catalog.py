#!/usr/bin/env python3
"""Writes Aisle's sample catalog: data/catalog/{products,promotions,stores}.csv and data/catalog.json.

Deterministic (no randomness, no network): running it again writes the same bytes, so the files
are committed and `git diff` after a run shows exactly what an edit here changed. Prices are euro
cents, as a German or French supermarket would charge in 2025. The demo and the tests use some of
these SKUs (oat-milk, sourdough, butter, milk, bread, coffee-beans-500g …) and stores (berlin, paris).

    scripts/gen-catalog.py            # from the repository root
"""

import csv
import io
import json
import os
import re
import sys

# (category, [(name, price in cents) or (sku, name, price in cents)]). 12 categories of 25.
CATALOG = [
    ("dairy", [
        ("milk", "Whole milk 3.5 % 1 l", 119), ("milk-1l", "Semi-skimmed milk 1.5 % 1 l", 109),
        ("oat-milk", "Oat drink barista 1 l", 199), ("Soy drink unsweetened 1 l", 179),
        ("Almond drink 1 l", 229), ("butter", "Butter 250 g", 239), ("Salted butter 250 g", 259),
        ("eggs", "Free-range eggs, size M, 10 pack", 329), ("Organic eggs 6 pack", 299),
        ("Natural yoghurt 500 g", 89), ("Greek yoghurt 10 % 500 g", 219), ("Strawberry yoghurt 4 x 125 g", 149),
        ("Skyr natural 450 g", 179), ("Quark low fat 500 g", 99), ("Crème fraîche 200 g", 109),
        ("Whipping cream 200 ml", 99), ("Gouda young, sliced 400 g", 299), ("Emmental grated 200 g", 219),
        ("Camembert 250 g", 189), ("Mozzarella 125 g", 89), ("Parmigiano Reggiano 200 g", 449),
        ("Feta 200 g", 199), ("Cream cheese 200 g", 129), ("Comté 12 months 200 g", 429),
        ("Kefir 500 ml", 129),
    ]),
    ("bakery", [
        ("bread", "Farmhouse loaf 750 g", 259), ("sourdough", "Wheat sourdough loaf 500 g", 349),
        ("bread-sourdough", "Rye sourdough 1 kg", 399), ("Baguette tradition", 129), ("Wholemeal toast 500 g", 149),
        ("Butter croissant", 89), ("Pain au chocolat", 99), ("Pretzel", 69), ("Kaiser roll", 35),
        ("Seeded rolls 6 pack", 199), ("Brioche loaf 400 g", 249), ("Rye crispbread 250 g", 159),
        ("Multigrain loaf 500 g", 279), ("Spelt bread 500 g", 299), ("Ciabatta", 179),
        ("Bagels 4 pack", 199), ("Tortilla wraps 8 pack", 179), ("Pita bread 6 pack", 139),
        ("Cinnamon roll", 149), ("Apple turnover", 129), ("Marble cake 400 g", 299),
        ("Muffins chocolate 4 pack", 259), ("Rusks 225 g", 149), ("Pumpernickel 500 g", 159),
        ("Gluten-free bread 400 g", 329),
    ]),
    ("fruit-veg", [
        ("Bananas 1 kg", 139), ("Apples Braeburn 1 kg", 249), ("Pears Conference 1 kg", 279),
        ("Oranges 2 kg", 349), ("Lemons 500 g", 179), ("Strawberries 500 g", 349), ("Blueberries 250 g", 299),
        ("Grapes white seedless 500 g", 299), ("Avocado ready to eat", 129), ("Kiwi each", 39),
        ("Tomatoes, cherry 250 g", 179), ("Vine tomatoes 500 g", 249), ("Cucumber", 69),
        ("Red peppers 500 g", 229), ("Carrots 1 kg", 99), ("Potatoes waxy 2.5 kg", 299),
        ("Onions 1 kg", 119), ("Garlic 3 bulbs", 129), ("Broccoli 500 g", 149), ("Iceberg lettuce", 99),
        ("Baby spinach 200 g", 199), ("Courgettes 500 g", 169), ("Mushrooms white 400 g", 199),
        ("Sweet potatoes 1 kg", 249), ("Fresh basil pot", 199),
    ]),
    ("meat-fish", [
        ("Chicken breast fillets 400 g", 549), ("Minced beef 500 g", 499), ("Pork chops 600 g", 599),
        ("Beef steak rump 300 g", 899), ("Turkey slices 150 g", 229), ("Cooked ham 200 g", 249),
        ("Salami Milano 100 g", 199), ("Bratwurst 4 pack", 349), ("Frankfurters 6 pack", 279),
        ("Bacon rashers 200 g", 269), ("Chorizo 200 g", 299), ("Smoked salmon 200 g", 599),
        ("Salmon fillets 2 x 125 g", 549), ("Cod fillets 400 g", 649), ("Prawns cooked 200 g", 499),
        ("Tuna steaks 2 x 125 g", 599), ("Chicken thighs 1 kg", 649), ("Lamb mince 400 g", 599),
        ("Duck breast 350 g", 899), ("Meatballs 400 g", 399), ("Chicken wings 1 kg", 549),
        ("Pork belly slices 500 g", 549), ("Mackerel smoked 200 g", 299), ("Pâté de campagne 180 g", 249),
        ("Vegetarian burger 2 x 100 g", 299),
    ]),
    ("pantry", [
        ("Spaghetti 500 g", 119), ("Penne rigate 500 g", 119), ("Fusilli wholewheat 500 g", 149),
        ("Basmati rice 1 kg", 299), ("Risotto rice 1 kg", 279), ("Red lentils 500 g", 179),
        ("Chickpeas 400 g tin", 89), ("Kidney beans 400 g tin", 89), ("Chopped tomatoes 400 g tin", 79),
        ("Passata 500 g", 99), ("Tomato pesto 190 g", 249), ("Pesto Genovese 190 g", 249),
        ("Olive oil extra virgin 750 ml", 899), ("Sunflower oil 1 l", 249), ("Balsamic vinegar 500 ml", 229),
        ("Plain flour 1 kg", 89), ("Sugar 1 kg", 129), ("Sea salt 500 g", 79), ("Black pepper mill 50 g", 249),
        ("Tuna in olive oil 160 g", 229), ("Coconut milk 400 ml", 159), ("Soy sauce 250 ml", 199),
        ("Dijon mustard 370 g", 189), ("Mayonnaise 500 ml", 249), ("Ketchup 500 ml", 229),
    ]),
    ("breakfast", [
        ("coffee-beans", "Espresso beans 1 kg", 1499), ("coffee-beans-500g", "Coffee beans crema 500 g", 899),
        ("Ground coffee 500 g", 649), ("Instant coffee 200 g", 699), ("Coffee capsules lungo 10 pack", 329),
        ("Decaf ground coffee 250 g", 499), ("English breakfast tea 80 bags", 349), ("Green tea 20 bags", 199),
        ("Peppermint tea 20 bags", 179), ("Chamomile tea 20 bags", 179), ("Rooibos tea 20 bags", 199),
        ("Cocoa powder 250 g", 299), ("Porridge oats 500 g", 99), ("Muesli fruit 750 g", 329),
        ("Granola crunchy 500 g", 349), ("Cornflakes 500 g", 229), ("Chocolate cereal 375 g", 299),
        ("Honey blossom 500 g", 449), ("Strawberry jam 450 g", 229), ("Apricot jam 450 g", 229),
        ("Hazelnut spread 400 g", 349), ("Peanut butter 350 g", 279), ("Maple syrup 250 ml", 599),
        ("Orange juice 1 l", 229), ("Apple juice cloudy 1 l", 179),
    ]),
    ("drinks", [
        ("Sparkling water 1.5 l", 49), ("Still water 1.5 l", 45), ("Sparkling water 6 x 1.5 l", 279),
        ("Mineral water glass 0.75 l", 99), ("Cola 1.5 l", 169), ("Cola zero 1.5 l", 169),
        ("Lemonade 1 l", 139), ("Apple spritzer 1.5 l", 129), ("Iced tea peach 1.5 l", 149),
        ("Energy drink 250 ml", 129), ("Tonic water 4 x 200 ml", 249), ("Ginger ale 1 l", 179),
        ("Pilsner 6 x 0.33 l", 499), ("Wheat beer 0.5 l", 119), ("Alcohol-free lager 6 x 0.33 l", 449),
        ("Red wine Côtes du Rhône 0.75 l", 699), ("White wine Riesling 0.75 l", 649),
        ("Rosé Provence 0.75 l", 899), ("Prosecco 0.75 l", 799), ("Champagne brut 0.75 l", 2999),
        ("Cider dry 0.5 l", 229), ("Coconut water 330 ml", 199), ("Oat smoothie mango 250 ml", 199),
        ("Kombucha 330 ml", 249), ("Cold brew coffee 250 ml", 229),
    ]),
    ("snacks", [
        ("Salted crisps 175 g", 199), ("Paprika crisps 175 g", 199), ("Tortilla chips 200 g", 179),
        ("Salted peanuts 200 g", 179), ("Mixed nuts 200 g", 399), ("Cashews roasted 150 g", 349),
        ("Pretzel sticks 250 g", 129), ('Crackers "Classic" 200 g', 149), ("Rice cakes 130 g", 119),
        ("Milk chocolate 100 g", 129), ("Dark chocolate 70 % 100 g", 179), ("Chocolate hazelnut bar 100 g", 149),
        ("Gummy bears 200 g", 119), ("Liquorice 200 g", 149), ("Butter biscuits 200 g", 149),
        ("Chocolate chip cookies 225 g", 229), ("Shortbread 150 g", 199), ("Wafers vanilla 250 g", 169),
        ("Cereal bars 6 pack", 249), ("Protein bar 60 g", 199), ("Popcorn sweet 100 g", 149),
        ("Dried mango 100 g", 249), ("Trail mix 200 g", 329), ("Olives green 200 g", 199),
        ("Hummus 200 g", 179),
    ]),
    ("frozen", [
        ("Pizza margherita 350 g", 279), ("Pizza salami 370 g", 299), ("Fish fingers 15 pack", 349),
        ("Oven chips 750 g", 229), ("Peas 1 kg", 199), ("Spinach leaves 750 g", 179),
        ("Mixed vegetables 1 kg", 229), ("Berries mix 500 g", 349), ("Vanilla ice cream 1 l", 299),
        ("Chocolate ice cream 1 l", 299), ("Ice lollies 6 pack", 249), ("Puff pastry 450 g", 199),
        ("Lasagne bolognese 400 g", 299), ("Spring rolls 12 pack", 279), ("Gyoza vegetable 300 g", 349),
        ("Chicken nuggets 500 g", 399), ("Prawns raw 250 g", 549), ("Salmon portions 2 x 125 g", 499),
        ("Croissants to bake 6 pack", 249), ("Waffles 6 pack", 229), ("Herb baguettes 2 pack", 179),
        ("Potato wedges 750 g", 249), ("Veggie burgers 4 pack", 349), ("Edamame 400 g", 299),
        ("Ice cubes 2 kg", 149),
    ]),
    ("household", [
        ("Laundry detergent liquid 1.5 l", 649), ("Laundry detergent powder 1.35 kg", 599),
        ("Fabric softener 1 l", 249), ("Dishwasher tablets 40 pack", 799), ("Washing-up liquid 500 ml", 149),
        ("All-purpose cleaner 1 l", 199), ("Bathroom cleaner 750 ml", 249), ("Glass cleaner 500 ml", 199),
        ("Toilet cleaner 750 ml", 179), ("Limescale remover 500 ml", 229), ("Toilet paper 3-ply 8 rolls", 399),
        ("Kitchen roll 4 rolls", 299), ("Paper tissues 10 pack", 129), ("Bin bags 35 l 20 pack", 199),
        ("Aluminium foil 30 m", 249), ("Cling film 30 m", 149), ("Baking paper 10 m", 149),
        ("Sponges 5 pack", 129), ("Microfibre cloths 3 pack", 249), ("Rubber gloves M", 199),
        ("AA batteries 8 pack", 599), ("LED bulb E27 60 W", 349), ("Tealights 50 pack", 349),
        ("Matches 10 boxes", 129), ("Freezer bags 3 l 30 pack", 179),
    ]),
    ("personal-care", [
        ("Toothpaste 75 ml", 149), ("Toothbrush medium 2 pack", 249), ("Dental floss 50 m", 179),
        ("Mouthwash 500 ml", 299), ("Shampoo normal hair 300 ml", 249), ("Conditioner 300 ml", 249),
        ("Shower gel 250 ml", 149), ("Hand soap 300 ml", 129), ("Bar soap 100 g", 99),
        ("Deodorant roll-on 50 ml", 199), ("Body lotion 400 ml", 349), ("Hand cream 75 ml", 229),
        ("Sun cream SPF 30 200 ml", 699), ("Lip balm", 149), ("Cotton pads 80 pack", 119),
        ("Cotton buds 200 pack", 99), ("Razor blades 4 pack", 799), ("Shaving foam 250 ml", 199),
        ("Face wash 150 ml", 399), ("Day cream SPF 15 50 ml", 599), ("Plasters assorted 20 pack", 229),
        ("Vapour rub 50 g", 349), ("Tampons regular 16 pack", 249),
        ("Sanitary pads 16 pack", 229), ("Nappies size 4 44 pack", 999),
    ]),
    ("pet", [
        ("Dog food chicken 400 g tin", 149), ("Dog food beef 800 g tin", 229), ("Dry dog food adult 3 kg", 1199),
        ("Dog treats 150 g", 249), ("Dog chews 7 pack", 299), ("Cat food pouches 12 x 85 g", 549),
        ("Cat food salmon 400 g tin", 139), ("Dry cat food adult 2 kg", 899), ("Cat treats 60 g", 199),
        ("Cat litter clumping 10 l", 599), ("Cat litter silica 5 l", 799), ("Bird seed 1 kg", 299),
        ("Fish flakes 100 ml", 349), ("Small animal hay 1 kg", 299), ("Rabbit food 1 kg", 349),
        ("Puppy food 1.5 kg", 899), ("Senior dog food 2 kg", 1099), ("Dental sticks for dogs 7 pack", 349),
        ("Cat milk 200 ml", 119), ("Poop bags 120 pack", 299), ("Dog shampoo 250 ml", 599),
        ("Flea comb", 399), ("Cat toy mouse 2 pack", 249), ("Dog ball", 299), ("Pet bowl steel", 499),
    ]),
]

# (id, kind, sku, value, free): every kind AISLE's Promotion has.
PROMOTIONS = [
    ("coffee-10", "percent_off", "coffee-beans-500g", 1000, ""),
    ("oat-milk-20", "percent_off", "oat-milk", 2000, ""),
    ("detergent-25", "percent_off", "laundry-detergent-liquid-1-5-l", 2500, ""),
    ("butter-30c", "amount_off", "butter", 30, ""),
    ("sourdough-50c", "amount_off", "sourdough", 50, ""),
    ("salmon-1eur", "amount_off", "smoked-salmon-200-g", 100, ""),
    ("pasta-3for2", "buy_x_get_y", "spaghetti-500-g", 2, 1),
    ("water-6for5", "buy_x_get_y", "sparkling-water-1-5-l", 5, 1),
    ("yoghurt-4for3", "buy_x_get_y", "natural-yoghurt-500-g", 3, 1),
    ("double-points", "points_multiplier", "", 2, ""),
    ("coffee-triple-points", "points_multiplier", "coffee-beans", 3, ""),
]

# (id, name, latitude, longitude, hours): city-centre locations; German stores close on Sundays.
STORES = [
    ("berlin", "Aisle Berlin Alexanderplatz", "52.521918", "13.413215", "Mo-Sa 07:00-22:00; Su closed"),
    ("hamburg", "Aisle Hamburg Jungfernstieg", "53.553406", "9.992196", "Mo-Sa 07:00-21:00; Su closed"),
    ("munich", "Aisle München Marienplatz", "48.137154", "11.576124", "Mo-Fr 07:00-20:00; Sa 08:00-20:00; Su closed"),
    ("paris", "Aisle Paris Rivoli", "48.857487", "2.351400", "Mo-Sa 08:30-21:30; Su 09:00-13:00"),
    ("lyon", "Aisle Lyon Bellecour", "45.757814", "4.832011",
     "Mo-Fr 08:00-12:30,14:00-20:00; Sa 08:00-20:00; Su 09:00-12:30"),
    ("amsterdam", "Aisle Amsterdam Dam", "52.373169", "4.892448", "Mo-Sa 08:00-22:00; Su 10:00-20:00"),
]


def slug(name):
    """A SKU from a product name: lower case, runs of other characters as one hyphen."""
    text = name.lower().replace("é", "e").replace("è", "e").replace("ô", "o").replace("ü", "u").replace("î", "i")
    text = text.replace("â", "a").replace("%", "pct")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64]


def products():
    rows = []
    for category, items in CATALOG:
        assert len(items) == 25, f"{category} has {len(items)} products, not 25"
        for item in items:
            sku, name, price = item if len(item) == 3 else (slug(item[0]),) + item
            assert re.fullmatch(r"[a-z0-9-]{1,64}", sku), sku
            rows.append((sku, name, category, price))
    skus = [row[0] for row in rows]
    assert len(skus) == len(set(skus)), "duplicate SKU"
    for _, _, sku, _, _ in PROMOTIONS:
        assert sku == "" or sku in skus, f"promotion names unknown SKU {sku}"
    return sorted(rows)


def csv_text(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def stores_text():
    # The hours are always quoted (they hold spaces and may hold commas).
    lines = ["id,name,latitude,longitude,hours"]
    for store_id, name, latitude, longitude, hours in STORES:
        lines.append(f'{store_id},{name},{latitude},{longitude},"{hours}"')
    return "\n".join(lines) + "\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    directory = os.path.join(root, "data", "catalog")
    os.makedirs(directory, exist_ok=True)
    rows = products()
    files = {
        "products.csv": csv_text(["sku", "name", "category", "price_minor"], rows),
        "promotions.csv": csv_text(["id", "kind", "sku", "value", "free"], PROMOTIONS),
        "stores.csv": stores_text(),
    }
    for name, text in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="") as file:
            file.write(text)
    document = {
        "products": [{"sku": s, "name": n, "category": c, "price_minor": p} for s, n, c, p in rows],
        "promotions": [
            {key: value for key, value in zip(["id", "kind", "sku", "value", "free"], promotion) if value != ""}
            for promotion in PROMOTIONS
        ],
        "stores": [
            {"id": i, "name": n, "latitude": float(la), "longitude": float(lo), "hours": h}
            for i, n, la, lo, h in STORES
        ],
    }
    with open(os.path.join(root, "data", "catalog.json"), "w", encoding="utf-8") as file:
        json.dump(document, file, indent=1, ensure_ascii=False)
        file.write("\n")
    print(f"wrote {len(rows)} products, {len(PROMOTIONS)} promotions, {len(STORES)} stores "
          f"to data/catalog/ and data/catalog.json", file=sys.stderr)


if __name__ == "__main__":
    main()
